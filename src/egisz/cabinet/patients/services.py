"""Writes on patients. Each function changes state, records its audit event and queues its
notifications in one transaction."""

from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.notifications.kinds import NotificationKind
from egisz.cabinet.notifications.services import notify_patient
from egisz.cabinet.patients.forms import ADDRESS_FIELDS
from egisz.cabinet.patients.models import Address, Patient
from egisz.common.audit.services import record_event
from egisz.common.codes.services import (
    CheckResult,
    CodeRefused,
    check_code,
    code_lifetime_text,
    seconds_until_resend,
    send_code,
)
from egisz.common.identifiers import mask_phone, normalize_mobile_phone, normalize_snils
from egisz.common.outbox.services import queue_email, queue_sms
from egisz.common.request_meta import RequestMeta

# What the cabinet copies from the consented claims at the first login.
CLAIM_FIELDS = ("family_name", "given_name", "middle_name", "birthdate", "snils", "inn")


@transaction.atomic
def sign_in_patient(
    *, issuer: str, subject: str, claims: dict, level: str, meta: RequestMeta
) -> tuple[Patient, bool]:
    """The patient for (issuer, subject), created from ``claims`` at the first login.

    Returns (patient, created). Later logins refresh only the account level: what the
    patient has since corrected in the cabinet is not overwritten by the provider's copy.
    """
    patient = Patient.objects.select_for_update().filter(issuer=issuer, subject=subject).first()
    now = timezone.now()
    if patient is not None:
        patient.level = level
        patient.last_login_at = now
        patient.save(update_fields=["level", "last_login_at"])
        record_event(action=CabinetAction.LOGIN, meta=meta, actor=patient.user, level=level)
        return patient, False

    user = get_user_model().objects.create_user(username=f"patient-{_short(subject)}")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    patient = Patient.objects.create(
        user=user,
        issuer=issuer,
        subject=subject,
        level=level,
        last_login_at=now,
        **_fields_from_claims(claims),
    )
    record_event(
        action=CabinetAction.PATIENT_CREATED,
        meta=meta,
        actor=user,
        level=level,
        claims=sorted(key for key in claims if key in CLAIM_FIELDS or key in _CONTACT_CLAIMS),
    )
    return patient, True


_CONTACT_CLAIMS = ("phone_number", "email")


def _fields_from_claims(claims: dict) -> dict:
    fields = {
        "last_name": str(claims.get("family_name") or "")[:100],
        "first_name": str(claims.get("given_name") or "")[:100],
        "middle_name": str(claims.get("middle_name") or "")[:100],
        "birth_date": _parse_date(claims.get("birthdate")),
        "snils": _clean(normalize_snils, claims.get("snils")),
        "inn": "".join(ch for ch in str(claims.get("inn") or "") if ch.isdigit())[:12],
        "phone": _clean(normalize_mobile_phone, claims.get("phone_number")),
        # Only an address the provider says its owner confirmed: an unconfirmed one may be
        # anybody's, and the cabinet sends notices there.
        "email": str(claims.get("email") or "")[:254].lower()
        if claims.get("email_verified") is True
        else "",
    }
    return fields


def _clean(normalize, value) -> str:
    """The normalised value, or empty when the provider sent something unusable (the
    profile form then asks the patient)."""
    if not value:
        return ""
    try:
        return normalize(str(value))
    except ValidationError:
        return ""


def _parse_date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _short(subject: str) -> str:
    import hashlib

    return hashlib.sha256(subject.encode()).hexdigest()[:24]


# --- «Личные данные»: phone, e-mail and addresses confirmed with a one-time code ----------

PHONE_PURPOSE = "cabinet_phone_change"
EMAIL_PURPOSE = "cabinet_email_change"
ADDRESS_PURPOSE = "cabinet_address_change"

PHONE = "phone"
EMAIL = "email"
# The audit actions of each contact's change: its code sent, then the change made.
CODE_SENT_ACTION = {
    PHONE: CabinetAction.PHONE_CHANGE_CODE_SENT,
    EMAIL: CabinetAction.EMAIL_CHANGE_CODE_SENT,
}
CHANGED_ACTION = {PHONE: CabinetAction.PHONE_CHANGED, EMAIL: CabinetAction.EMAIL_CHANGED}
CHANGED_NOTICE = {PHONE: NotificationKind.PHONE_CHANGED, EMAIL: NotificationKind.EMAIL_CHANGED}
ADDRESS = "address"
_PURPOSES = {PHONE: PHONE_PURPOSE, EMAIL: EMAIL_PURPOSE}


class NoPhone(Exception):
    """An address change is confirmed by SMS, and the patient has no phone on file."""


class PhoneChanged(Exception):
    """The phone the address code went to is no longer the patient's phone."""


def mask_email(email: str) -> str:
    """i***@example.org: the owner recognises it, a stranger learns little."""
    if not email:
        return ""
    local, _sep, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


def mask_contact(kind: str, value: str) -> str:
    return mask_phone(value) if kind == PHONE else mask_email(value)


def code_wait_seconds(*, kind: str, target: str) -> int:
    """Seconds before another code for this change may be sent (0: now)."""
    purpose = ADDRESS_PURPOSE if kind == ADDRESS else _PURPOSES[kind]
    return seconds_until_resend(purpose=purpose, target=target)


def send_contact_change_code(
    *, patient: Patient, kind: str, new_value: str, meta: RequestMeta
) -> None:
    """Send a code to the NEW phone (SMS) or e-mail; nothing changes until it is entered.

    ``new_value`` is normalised already. Raises codes.CodeRefused while the resend interval
    or the hourly limit holds, or an SMS budget is spent: a new phone is a number the
    patient typed, so its SMS spends the budgets against SMS pumping, the patient's own
    among them. The transaction commits before a refusal is raised, so that the operator's
    alert of the global ceiling stays in the journal.
    """
    refused = None
    with transaction.atomic():
        try:
            _send_contact_code(patient=patient, kind=kind, new_value=new_value)
        except CodeRefused as refusal:
            refused = refusal
        else:
            record_event(
                action=CODE_SENT_ACTION[kind],
                meta=meta,
                actor=patient.user,
                new=mask_contact(kind, new_value),
            )
    if refused is not None:
        raise refused


def _send_contact_code(*, patient: Patient, kind: str, new_value: str) -> None:
    if kind == PHONE:
        send_code(
            purpose=PHONE_PURPOSE,
            target=new_value,
            channel="sms",
            text=_(
                "ЕГИСЗ: код {code} для смены номера телефона в личном кабинете. "
                "Никому его не сообщайте."
            ),
            unconfirmed=True,
            account=f"patient:{patient.pk}",
        )
    else:
        send_code(
            purpose=EMAIL_PURPOSE,
            target=new_value,
            channel="email",
            subject=_("ЕГИСЗ: код подтверждения адреса электронной почты"),
            text=_(
                "Код {code} подтверждает этот адрес электронной почты в личном кабинете "
                "пациента ЕГИСЗ. Срок действия кода — %(lifetime)s. Если вы не меняли адрес, "
                "просто удалите это письмо."
            )
            % {"lifetime": code_lifetime_text()},
        )


@transaction.atomic
def confirm_contact_change(
    *, patient: Patient, kind: str, new_value: str, code: str, meta: RequestMeta
) -> CheckResult:
    """Apply the new phone or e-mail if ``code`` is the one sent to it.

    On success: the patient's contact changes, the OLD contact is told (with the new one
    masked), the patient gets a «contacts» notice and the audit journal both values masked.
    A wrong code changes nothing (the code records the failed try).
    """
    result = check_code(purpose=_PURPOSES[kind], target=new_value, code=code)
    if not result.ok:
        record_event(
            action=CabinetAction.CHANGE_CODE_REJECTED,
            meta=meta,
            actor=patient.user,
            success=False,
            change=kind,
            reason=result.status.value,
        )
        return result
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    old_value = getattr(patient, kind)
    setattr(patient, kind, new_value)
    patient.save(update_fields=[kind])
    masked_new = mask_contact(kind, new_value)
    # The message to the old contact is worded in the patient's language, which the cabinet
    # does not keep yet: Russian, as every copy of a notice (notify_patient).
    with translation.override(settings.LANGUAGE_CODE):
        if kind == PHONE and old_value:
            queue_sms(
                phone=old_value,
                text=_(
                    "ЕГИСЗ: номер телефона в личном кабинете изменён на %(new)s. "
                    "Если это сделали не вы, сообщите в службу поддержки: %(contact)s."
                )
                % {"new": masked_new, "contact": settings.SUPPORT_CONTACT},
            )
        elif kind == EMAIL and old_value:
            queue_email(
                to=old_value,
                subject=_("ЕГИСЗ: адрес электронной почты изменён"),
                body=_(
                    "Адрес электронной почты в личном кабинете пациента ЕГИСЗ изменён на "
                    "%(new)s. Уведомления теперь приходят на новый адрес.\n\n"
                    "Если это сделали не вы, сообщите в службу поддержки: %(contact)s."
                )
                % {"new": masked_new, "contact": settings.SUPPORT_CONTACT},
            )
    notify_patient(
        patient=patient,
        kind=CHANGED_NOTICE[kind],
        params={"new": masked_new},
        link=reverse("patients:personal_data"),
    )
    record_event(
        action=CHANGED_ACTION[kind],
        meta=meta,
        actor=patient.user,
        old=mask_contact(kind, old_value),
        new=masked_new,
    )
    # A confirmed contact may be the last thing the profile was missing.
    from egisz.cabinet.profile.services import complete_profile_if_ready

    complete_profile_if_ready(patient=patient, meta=meta)
    return result


@transaction.atomic
def send_address_change_code(*, patient: Patient, address_kind: str, meta: RequestMeta) -> str:
    """Send the SMS code that confirms a new address to the patient's current phone.

    Returns the phone it went to. Raises NoPhone without a phone on file, codes.CodeRefused
    while the resend interval or the hourly limit holds.
    """
    if not patient.phone:
        raise NoPhone
    send_code(
        purpose=ADDRESS_PURPOSE,
        target=patient.phone,
        channel="sms",
        text=_(
            "ЕГИСЗ: код {code} для изменения адреса в личном кабинете. Никому его не сообщайте."
        ),
    )
    record_event(
        action=CabinetAction.ADDRESS_CHANGE_CODE_SENT,
        meta=meta,
        actor=patient.user,
        address_kind=address_kind,
    )
    return patient.phone


@transaction.atomic
def confirm_address_change(
    *,
    patient: Patient,
    address_kind: str,
    fields: dict,
    target: str,
    code: str,
    meta: RequestMeta,
) -> CheckResult:
    """Store the address (one per kind) if ``code`` is the SMS code sent to ``target``.

    Raises PhoneChanged when ``target`` is no longer the patient's phone.
    """
    if address_kind not in Address.Kind.values:
        raise ValueError(address_kind)
    if not patient.phone or patient.phone != target:
        raise PhoneChanged
    result = check_code(purpose=ADDRESS_PURPOSE, target=target, code=code)
    if not result.ok:
        record_event(
            action=CabinetAction.CHANGE_CODE_REJECTED,
            meta=meta,
            actor=patient.user,
            success=False,
            change=ADDRESS,
            reason=result.status.value,
        )
        return result
    values = {name: str(fields.get(name) or "") for name in ADDRESS_FIELDS}
    _address, created = Address.objects.update_or_create(
        patient=patient, kind=address_kind, defaults=values
    )
    notify_patient(
        patient=patient,
        kind=NotificationKind.ADDRESS_CHANGED,
        params={"address_kind": address_kind},
        link=reverse("patients:personal_data"),
    )
    record_event(
        action=CabinetAction.ADDRESS_CHANGED,
        meta=meta,
        actor=patient.user,
        address_kind=address_kind,
        created=created,
    )
    return result
