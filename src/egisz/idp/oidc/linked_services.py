"""«Привязанные сервисы»: the services a citizen consented to, and withdrawing a consent."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from egisz.common.request_meta import RequestMeta
from egisz.idp.oidc import consent


@login_required
def linked_services_view(request):
    context = {"section": "linked_services", "rows": consent.linked_services(account=request.user)}
    return render(request, "oidc/linked_services.html", context)


@login_required
@require_POST
def withdraw_view(request, pk: int):
    record = consent.owned_consent(account=request.user, consent_id=pk)
    if record is None:
        raise Http404
    consent.withdraw_consent(
        account=request.user,
        application=record.application,
        meta=RequestMeta.from_request(request),
    )
    messages.success(
        request,
        _(
            "Согласие отозвано: сервис «%(name)s» больше не получит ваших данных, "
            "выданный ему доступ закрыт."
        )
        % {"name": record.application.name},
    )
    return redirect("oidc:linked_services")
