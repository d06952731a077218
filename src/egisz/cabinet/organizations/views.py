from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egisz.cabinet.organizations import selectors, services
from egisz.cabinet.organizations.forms import DirectorySearchForm, PolicyForm
from egisz.cabinet.organizations.models import Attachment, MedicalOrganization
from egisz.cabinet.patients.access import current_patient, patient_required
from egisz.common.request_meta import RequestMeta

PAGE_SIZE = 20


@require_GET
def directory(request):
    """The directory: public (also for visitors and the limited mode)."""
    form = DirectorySearchForm(request.GET or None, regions=selectors.directory_regions())
    if form.is_bound:
        form.is_valid()  # a bad filter is shown next to its field and left out
    organizations = selectors.search_organizations(**form.filters())
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "section": "organizations",
        "form": form,
        "page": page,
        "query_string": query.urlencode(),
        "searched": any(form.filters().values()),
    }
    return render(request, "organizations/directory.html", context)


@require_GET
def organization_detail(request, pk):
    organization = get_object_or_404(MedicalOrganization, pk=pk)
    patient = current_patient(request)
    context = {
        "section": "organizations",
        "organization": organization,
        "relation": selectors.relation_to(patient, organization) if patient else "",
        "has_policy": patient is not None and selectors.policy_of(patient) is not None,
    }
    return render(request, "organizations/detail.html", context)


@require_GET
def organization_by_oid(request, oid):
    organization = get_object_or_404(MedicalOrganization, oid=oid)
    return redirect("organizations:detail", pk=organization.pk)


@require_http_methods(["GET", "POST"])
@patient_required
def attach(request, pk, *, patient):
    """«Прикрепиться»: a confirmation page, then the request (POST)."""
    organization = get_object_or_404(MedicalOrganization, pk=pk, is_active=True)
    if request.method == "POST":
        try:
            services.request_attachment(
                patient=patient, organization=organization, meta=RequestMeta.from_request(request)
            )
        except services.AttachmentRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("organizations:detail", pk=organization.pk)
        messages.success(
            request,
            _(
                "Заявление о прикреплении к организации «%(organization)s» отправлено. "
                "Мы сообщим о решении."
            )
            % {"organization": organization.short_name},
        )
        return redirect("organizations:policy")
    status = selectors.attachment_status(patient)
    context = {"section": "organizations", "organization": organization, "status": status}
    return render(request, "organizations/attach_confirm.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def policy(request, *, patient):
    """«Полис ОМС и прикрепление»: the policy form, the attachment and its history."""
    current = selectors.policy_of(patient)
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        try:
            _policy, changed = services.save_policy(
                patient=patient,
                enp=form.cleaned_data["enp"],
                insurer=form.insurer_name(),
                meta=RequestMeta.from_request(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changed:
                messages.success(request, _("Данные полиса ОМС сохранены."))
            else:
                messages.success(request, _("Данные полиса ОМС не изменились."))
            return redirect("organizations:policy")
    context = {
        "section": "policy",
        "form": form,
        "status": selectors.attachment_status(patient),
    }
    return render(request, "organizations/policy.html", context, status=400 if form.errors else 200)


@require_POST
@patient_required
def withdraw(request, pk, *, patient):
    """Withdraws the patient's own pending request; anyone else's is «not found»."""
    try:
        attachment = services.withdraw_attachment(
            patient=patient, attachment_id=pk, meta=RequestMeta.from_request(request)
        )
    except Attachment.DoesNotExist:
        raise Http404 from None
    except services.AttachmentRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Заявление о прикреплении к организации «%(organization)s» отозвано.")
            % {"organization": attachment.organization.short_name},
        )
    return redirect("organizations:policy")
