from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from egisz.cabinet.documents.selectors import current_documents
from egisz.cabinet.patients.access import patient_required
from egisz.cabinet.profile import selectors, services
from egisz.cabinet.profile.forms import CorrectionForm, ProfileForm
from egisz.common.request_meta import RequestMeta


def _posted(request):
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


@patient_required
def complete(request, *, patient):
    """The profile form the first login opens: what came from Госуслуги (read-only), what
    is still missing, and the scans of identity documents."""
    documents = current_documents(patient=patient)
    data, files = _posted(request)
    form = ProfileForm(data, files, patient=patient, documents=documents)
    form.request_meta = RequestMeta.from_request(request)
    if request.method == "POST" and form.is_valid():
        result = services.save_profile(
            patient=patient,
            inn=form.cleaned_data["inn"],
            workplace=form.cleaned_data["workplace"],
            scans=form.scans(),
            meta=RequestMeta.from_request(request),
        )
        if result.completeness.complete:
            if result.just_completed:
                messages.success(
                    request, _("Профиль заполнен. Спасибо! Все разделы кабинета открыты.")
                )
            else:
                messages.success(request, _("Данные профиля сохранены."))
            return redirect("portal:home")
        messages.warning(
            request,
            _("Данные сохранены. Чтобы профиль был заполнен, осталось указать: %(items)s.")
            % {"items": result.completeness.missing_labels},
        )
        return redirect("profile:complete")
    context = {
        "section": "personal",
        "form": form,
        "completeness": selectors.profile_completeness(patient, documents=documents),
        "phone_url": selectors.contact_change_url("patients:edit_phone"),
        "email_url": selectors.contact_change_url("patients:edit_email"),
        # Browsers cannot keep a chosen file across a re-rendered page.
        "files_dropped": request.method == "POST" and bool(request.FILES),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "profile/complete.html", context, status=status)


@patient_required
def corrections(request, *, patient):
    """A correction of name or date of birth, with an official document; the patient's own
    requests with their statuses."""
    pending = selectors.pending_correction(patient=patient)
    data, files = _posted(request)
    form = CorrectionForm(data, files, patient=patient)
    form.request_meta = RequestMeta.from_request(request)
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            services.file_correction(
                patient=patient,
                changes=form.changes(),
                comment=form.cleaned_data["comment"],
                upload=form.cleaned_data["document"],
                meta=RequestMeta.from_request(request),
            )
        except services.CorrectionError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _(
                    "Заявление подано. Оператор проверит документ; о решении мы сообщим "
                    "в уведомлениях."
                ),
            )
            return redirect("profile:corrections")
    context = {
        "section": "personal",
        "form": form,
        "pending": pending,
        "requests": selectors.correction_requests(patient=patient),
        "files_dropped": request.method == "POST" and bool(request.FILES),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "profile/corrections.html", context, status=status)
