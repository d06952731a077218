from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from egisz.cabinet.notifications import selectors, services
from egisz.cabinet.notifications.forms import PreferencesForm
from egisz.cabinet.patients.access import patient_required
from egisz.common.flow.redirects import safe_next
from egisz.common.request_meta import RequestMeta

# The provider's own pages for what the cabinet does not keep (paths of the project's IdP;
# another provider's account page is EGISZ_CABINET_IDP_ACCOUNT_URL itself).
IDP_PAGES = [
    (gettext_lazy("Сменить пароль"), "/settings/password/"),
    (gettext_lazy("Управление сеансами"), "/settings/sessions/"),
    (gettext_lazy("Привязанные сервисы и согласия"), "/settings/linked-services/"),
]


@patient_required
def notification_settings(request, *, patient):
    """«Настройки»: which events reach the patient by e-mail and SMS; links to the provider."""
    current = selectors.preference_matrix(patient=patient)
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        services.set_preferences(
            patient=patient, chosen=form.chosen(), meta=RequestMeta.from_request(request)
        )
        messages.success(request, _("Настройки уведомлений сохранены."))
        return redirect("notifications:settings")
    idp_pages = [(label, settings.IDP_ACCOUNT_URL + path) for label, path in IDP_PAGES]
    context = {"section": "settings", "form": form, "idp_pages": idp_pages}
    return render(request, "notifications/settings.html", context)


@require_POST
@patient_required
def mark_read(request, *, patient):
    """Marks one notification (``id``) or all of them read, then back to where it was."""
    raw_id = request.POST.get("id", "")
    ids = [int(raw_id)] if raw_id.isdigit() else None
    services.mark_read(patient=patient, notification_ids=ids)
    return redirect(safe_next(request, request.POST.get("next"), default="portal:home"))


@patient_required
def notification_list(request, *, patient):
    """Every notification, unread first, a page at a time."""
    page = Paginator(selectors.all_notifications(patient=patient), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/list.html", {"section": "home", "page": page})
