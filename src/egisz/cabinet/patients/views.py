"""«Личные данные» and «Журнал активности».

Phone, e-mail and addresses change in two steps: the new value is checked and a one-time
code is sent (to the new phone or e-mail; for an address, to the current phone), and the
pending change waits in the session (pending.py) until the code is entered. Code sending
and checking are throttled per client address; an SMS to a new phone also spends the SMS
budgets against pumping (egisz.common.codes.budgets).
"""

import math
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from egisz.cabinet.patients import pending, selectors, services
from egisz.cabinet.patients.access import patient_required
from egisz.cabinet.patients.forms import AddressForm, CodeForm, EmailForm, PhoneForm
from egisz.cabinet.patients.models import Address
from egisz.cabinet.portal.limited import level_label
from egisz.common.codes.services import CodeRefused, code_lifetime_text, describe_refusal
from egisz.common.flow.redirects import safe_next
from egisz.common.flow.throttle import too_many_attempts
from egisz.common.identifiers import format_phone, mask_phone
from egisz.common.request_meta import RequestMeta

SEND_GROUP = "cabinet-code-send"
CHECK_GROUP = "cabinet-code-check"

CONTACT_FORMS = {services.PHONE: PhoneForm, services.EMAIL: EmailForm}


def _meta(request) -> RequestMeta:
    return RequestMeta.from_request(request)


def _too_many(request, group: str) -> bool:
    return too_many_attempts(request, group=group, rate=settings.CODE_IP_RATE)


def rate_limited(request):
    return render(request, "patients/rate_limited.html", {"section": "personal"}, status=429)


def wait_text(seconds: int) -> str:
    """When a new code may be asked for, worded without plural forms."""
    if seconds > 120:
        return _("Новый код можно запросить через %(n)d мин.") % {"n": math.ceil(seconds / 60)}
    return _("Новый код можно запросить через %(n)d с.") % {"n": max(seconds, 1)}


def refusal_text(refused: CodeRefused) -> str:
    """Why no code went out: an SMS budget's own words, or when to ask again."""
    return refused.message or wait_text(refused.retry_after)


def _render(request, template: str, context: dict, *, status: int = 200):
    context = {
        "section": "personal",
        "code_lifetime": code_lifetime_text(),
        **context,
    }
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    return response


# --- «Личные данные» ----------------------------------------------------------------------


@require_GET
@patient_required
def personal_data(request, *, patient):
    addresses = selectors.patient_addresses(patient=patient)
    context = {
        "section": "personal",
        "level_label": level_label(patient.level),
        "addresses": [(kind, label, addresses[kind]) for kind, label in Address.Kind.choices],
        "recent_activity": selectors.recent_activity(patient=patient),
        "corrections_url": reverse("profile:corrections"),
        "complete_url": reverse("profile:complete") if patient.profile_completed_at is None else "",
    }
    return render(request, "patients/personal_data.html", context)


@require_GET
@patient_required
def activity(request, *, patient):
    page, rows = selectors.activity_page(patient=patient, number=request.GET.get("page"))
    context = {"section": "activity", "page": page, "rows": rows}
    return render(request, "patients/activity.html", context)


# --- Phone and e-mail -----------------------------------------------------------------------


def _contact_words(kind: str) -> dict:
    if kind == services.PHONE:
        return {
            "title": _("Изменение номера телефона"),
            "channel_words": _("SMS с кодом на номер"),
        }
    return {
        "title": _("Изменение электронной почты"),
        "channel_words": _("письмо с кодом на адрес"),
    }


def _current_contact(patient, kind: str) -> str:
    if kind == services.PHONE:
        return format_phone(patient.phone) if patient.phone else ""
    return patient.email


def _edit_contact(request, patient, kind: str):
    form_class = CONTACT_FORMS[kind]
    current = getattr(patient, kind)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = form_class(request.POST or None, current=current)
    context = {
        "form": form,
        "kind": kind,
        "current": _current_contact(patient, kind),
        "next": next_url,
        **_contact_words(kind),
    }
    if request.method != "POST":
        return _render(request, "patients/edit_contact.html", context)
    if _too_many(request, SEND_GROUP):
        return rate_limited(request)
    if not form.is_valid():
        return _render(request, "patients/edit_contact.html", context, status=400)
    new_value = form.cleaned_data[kind]
    state = pending.load(request, patient=patient, flow=kind)
    try:
        services.send_contact_change_code(
            patient=patient, kind=kind, new_value=new_value, meta=_meta(request)
        )
    except CodeRefused as refused:
        if state is not None and state.target == new_value:
            # The code sent a moment ago is still on its way: enter that one.
            messages.info(
                request,
                _("Код уже отправлен, введите его.") + " " + refusal_text(refused),
            )
            return redirect(f"patients:confirm_{kind}")
        form.add_error(kind, refusal_text(refused))
        return _render(request, "patients/edit_contact.html", context, status=400)
    pending.start(
        request, patient=patient, flow=kind, target=new_value, value=new_value, next_url=next_url
    )
    return redirect(f"patients:confirm_{kind}")


def _restart(request, flow: str, url: str):
    pending.clear(request, flow=flow)
    messages.warning(request, _("Время на подтверждение истекло или шаг пропущен. Начните заново."))
    return redirect(url)


def _confirm_contact(request, patient, kind: str):
    state = pending.load(request, patient=patient, flow=kind)
    if state is None:
        return _restart(request, kind, reverse(f"patients:edit_{kind}"))
    form = CodeForm(request.POST or None)
    context = {
        "form": form,
        "masked_target": services.mask_contact(kind, state.target),
        "resend_url": reverse(f"patients:resend_{kind}"),
        "back_url": reverse(f"patients:edit_{kind}"),
        "wait_seconds": services.code_wait_seconds(kind=kind, target=state.target),
        **_contact_words(kind),
    }
    if request.method != "POST":
        return _render(request, "patients/confirm.html", context)
    if _too_many(request, CHECK_GROUP):
        return rate_limited(request)
    if not form.is_valid():
        return _render(request, "patients/confirm.html", context, status=400)
    result = services.confirm_contact_change(
        patient=patient,
        kind=kind,
        new_value=state.value,
        code=form.cleaned_data["code"],
        meta=_meta(request),
    )
    if not result.ok:
        form.add_error("code", describe_refusal(result))
        return _render(request, "patients/confirm.html", context, status=400)
    pending.clear(request, flow=kind)
    if kind == services.PHONE:
        messages.success(request, _("Номер телефона изменён."))
    else:
        messages.success(request, _("Адрес электронной почты изменён."))
    return redirect(safe_next(request, state.next_url) or "patients:personal_data")


def _resend_contact(request, patient, kind: str):
    state = pending.load(request, patient=patient, flow=kind)
    if state is None:
        return _restart(request, kind, reverse(f"patients:edit_{kind}"))
    if _too_many(request, SEND_GROUP):
        return rate_limited(request)
    try:
        services.send_contact_change_code(
            patient=patient, kind=kind, new_value=state.target, meta=_meta(request)
        )
    except CodeRefused as refused:
        messages.warning(request, refusal_text(refused))
    else:
        messages.success(request, _("Новый код отправлен. Прежний код больше не действует."))
    return redirect(f"patients:confirm_{kind}")


@patient_required
def edit_phone(request, *, patient):
    return _edit_contact(request, patient, services.PHONE)


@patient_required
def confirm_phone(request, *, patient):
    return _confirm_contact(request, patient, services.PHONE)


@require_POST
@patient_required
def resend_phone(request, *, patient):
    return _resend_contact(request, patient, services.PHONE)


@patient_required
def edit_email(request, *, patient):
    return _edit_contact(request, patient, services.EMAIL)


@patient_required
def confirm_email(request, *, patient):
    return _confirm_contact(request, patient, services.EMAIL)


@require_POST
@patient_required
def resend_email(request, *, patient):
    return _resend_contact(request, patient, services.EMAIL)


# --- Addresses ------------------------------------------------------------------------------


def _address_kind(kind: str) -> str:
    if kind not in Address.Kind.values:
        raise Http404
    return kind


def _address_context(patient, kind: str) -> dict:
    edit_url = reverse("patients:edit_address", kwargs={"kind": kind})
    return {
        "kind": kind,
        "kind_label": Address.Kind(kind).label,
        "has_phone": bool(patient.phone),
        "add_phone_url": reverse("patients:edit_phone") + "?" + urlencode({"next": edit_url}),
    }


@patient_required
def edit_address(request, kind: str, *, patient):
    kind = _address_kind(kind)
    current = selectors.patient_address(patient=patient, kind=kind)
    form = AddressForm(request.POST or None, initial=AddressForm.initial_from(current))
    context = {"form": form, "current": current, **_address_context(patient, kind)}
    if request.method != "POST":
        return _render(request, "patients/edit_address.html", context)
    if _too_many(request, SEND_GROUP):
        return rate_limited(request)
    if not patient.phone:
        return _render(request, "patients/edit_address.html", context, status=400)
    if not form.is_valid():
        return _render(request, "patients/edit_address.html", context, status=400)
    fields = form.address_fields()
    state = pending.load(request, patient=patient, flow=pending.ADDRESS)
    try:
        target = services.send_address_change_code(
            patient=patient, address_kind=kind, meta=_meta(request)
        )
    except services.NoPhone:
        return _render(request, "patients/edit_address.html", context, status=400)
    except CodeRefused as refused:
        if (
            state is not None
            and state.target == patient.phone
            and state.address_kind == kind
            and state.address == fields
        ):
            messages.info(
                request,
                _("Код уже отправлен, введите его.") + " " + refusal_text(refused),
            )
            return redirect("patients:confirm_address", kind=kind)
        form.add_error(None, refusal_text(refused))
        return _render(request, "patients/edit_address.html", context, status=400)
    pending.start(
        request,
        patient=patient,
        flow=pending.ADDRESS,
        target=target,
        address_kind=kind,
        address=fields,
    )
    return redirect("patients:confirm_address", kind=kind)


def _address_state(request, patient, kind: str):
    state = pending.load(request, patient=patient, flow=pending.ADDRESS)
    if state is None or state.address_kind != kind or state.target != patient.phone:
        return None
    return state


@patient_required
def confirm_address(request, kind: str, *, patient):
    kind = _address_kind(kind)
    edit_url = reverse("patients:edit_address", kwargs={"kind": kind})
    state = _address_state(request, patient, kind)
    if state is None:
        return _restart(request, pending.ADDRESS, edit_url)
    form = CodeForm(request.POST or None)
    preview = Address(patient=patient, kind=kind, **state.address)
    context = {
        "form": form,
        "title": _("Подтверждение: %(kind)s") % {"kind": Address.Kind(kind).label},
        "channel_words": _("SMS с кодом на номер"),
        "masked_target": mask_phone(state.target),
        "address_preview": preview.display,
        "resend_url": reverse("patients:resend_address", kwargs={"kind": kind}),
        "back_url": edit_url,
        "wait_seconds": services.code_wait_seconds(kind=services.ADDRESS, target=state.target),
    }
    if request.method != "POST":
        return _render(request, "patients/confirm.html", context)
    if _too_many(request, CHECK_GROUP):
        return rate_limited(request)
    if not form.is_valid():
        return _render(request, "patients/confirm.html", context, status=400)
    try:
        result = services.confirm_address_change(
            patient=patient,
            address_kind=kind,
            fields=state.address,
            target=state.target,
            code=form.cleaned_data["code"],
            meta=_meta(request),
        )
    except services.PhoneChanged:
        return _restart(request, pending.ADDRESS, edit_url)
    if not result.ok:
        form.add_error("code", describe_refusal(result))
        return _render(request, "patients/confirm.html", context, status=400)
    pending.clear(request, flow=pending.ADDRESS)
    messages.success(request, _("Сохранено: %(kind)s.") % {"kind": Address.Kind(kind).label})
    return redirect("patients:personal_data")


@require_POST
@patient_required
def resend_address(request, kind: str, *, patient):
    kind = _address_kind(kind)
    state = _address_state(request, patient, kind)
    if state is None:
        return _restart(
            request, pending.ADDRESS, reverse("patients:edit_address", kwargs={"kind": kind})
        )
    if _too_many(request, SEND_GROUP):
        return rate_limited(request)
    try:
        services.send_address_change_code(patient=patient, address_kind=kind, meta=_meta(request))
    except services.NoPhone:
        return _restart(
            request, pending.ADDRESS, reverse("patients:edit_address", kwargs={"kind": kind})
        )
    except CodeRefused as refused:
        messages.warning(request, refusal_text(refused))
    else:
        messages.success(request, _("Новый код отправлен. Прежний код больше не действует."))
    return redirect("patients:confirm_address", kind=kind)
