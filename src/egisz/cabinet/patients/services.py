"""Writes on patients. Each function changes state, records its audit event and queues its
notifications in one transaction."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from egisz.cabinet.patients.models import Patient
from egisz.common.audit.services import record_event
from egisz.common.identifiers import normalize_mobile_phone, normalize_snils
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
        record_event(action="cabinet.login", meta=meta, actor=patient.user, level=level)
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
        action="cabinet.patient_created",
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
        "email": str(claims.get("email") or "")[:254].lower(),
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
