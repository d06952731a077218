"""Writes of the profile: saving what the first login asks for, and correction requests
with the operator's decision. Each function changes state, records its audit event and
queues its notifications in one transaction."""

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.documents import storage
from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.documents.services import store_document
from egisz.cabinet.notifications.kinds import NotificationKind
from egisz.cabinet.notifications.services import notify_patient
from egisz.cabinet.patients.models import Patient
from egisz.cabinet.profile.models import CORRECTABLE_FIELDS, CorrectionRequest
from egisz.cabinet.profile.selectors import Completeness, profile_completeness
from egisz.common.audit.services import record_event
from egisz.common.request_meta import RequestMeta


class CorrectionError(Exception):
    """A correction request cannot be filed or decided; ``message`` is for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProfileSaved:
    completeness: Completeness
    just_completed: bool  # this save made the profile complete


def _lock(patient: Patient) -> None:
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").get()


class _BlobsOfThisTransaction:
    """Collects the blobs stored inside a block and deletes them if the block fails, so a
    rolled-back save leaves no file behind."""

    def __init__(self):
        self.names: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            for name in self.names:
                storage.delete_blob(name)
        return False


def save_profile(
    *, patient: Patient, inn: str, workplace: str, scans: dict, meta: RequestMeta
) -> ProfileSaved:
    """Stores ИНН, place of work or study and the scans chosen (kind -> CheckedUpload);
    when that makes every required item present, marks the profile complete and tells the
    patient."""
    with _BlobsOfThisTransaction() as blobs, transaction.atomic():
        _lock(patient)
        changed = []
        for name, value in (("inn", inn), ("workplace", workplace)):
            if getattr(patient, name) != value:
                setattr(patient, name, value)
                changed.append(name)
        if changed:
            patient.save(update_fields=changed)
        stored = []
        for kind, upload in scans.items():
            document = store_document(patient=patient, kind=kind, upload=upload, meta=meta)
            blobs.names.append(document.storage_name)
            stored.append(kind)
        record_event(
            action=CabinetAction.PROFILE_SAVED,
            meta=meta,
            actor=patient.user,
            fields=changed,
            documents=stored,
        )
        completeness = profile_completeness(patient)
        just_completed = completeness.complete and patient.profile_completed_at is None
        if just_completed:
            _mark_complete(patient, meta=meta)
    return ProfileSaved(completeness=completeness, just_completed=just_completed)


def complete_profile_if_ready(*, patient: Patient, meta: RequestMeta) -> bool:
    """Marks the profile complete when the last missing item came from elsewhere (say, a
    confirmed phone). Returns whether it did; a no-op for a profile already complete."""
    if patient.profile_completed_at is not None:
        return False
    with transaction.atomic():
        _lock(patient)
        patient.refresh_from_db(fields=["profile_completed_at"])
        if patient.profile_completed_at is not None:
            return False
        if not profile_completeness(patient).complete:
            return False
        _mark_complete(patient, meta=meta)
    return True


def _mark_complete(patient: Patient, *, meta: RequestMeta) -> None:
    patient.profile_completed_at = timezone.now()
    patient.save(update_fields=["profile_completed_at"])
    record_event(action=CabinetAction.PROFILE_COMPLETED, meta=meta, actor=patient.user)
    notify_patient(
        patient=patient, kind=NotificationKind.PROFILE_COMPLETED, link=reverse("profile:complete")
    )


# --- Corrections of name and date of birth --------------------------------------------------


def _value(patient: Patient, name: str) -> str:
    value = getattr(patient, name)
    if isinstance(value, date):
        return value.isoformat()
    return value or ""


def file_correction(
    *, patient: Patient, changes: dict, comment: str, upload, meta: RequestMeta
) -> CorrectionRequest:
    """A request to correct name and/or date of birth (``changes``: field -> new value,
    dates in ISO), with the official document ``upload`` (a CheckedUpload). One request at
    a time per patient."""
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown or not changes:
        raise ValueError(f"not correctable: {sorted(unknown) or 'nothing to change'}")
    already = _("У вас уже есть заявление на рассмотрении. Новое можно подать после решения.")
    try:
        with _BlobsOfThisTransaction() as blobs, transaction.atomic():
            _lock(patient)
            if CorrectionRequest.objects.filter(
                patient=patient, status=CorrectionRequest.Status.PENDING
            ).exists():
                raise CorrectionError(already)
            document = store_document(
                patient=patient,
                kind=StoredDocument.Kind.CORRECTION_EVIDENCE,
                upload=upload,
                meta=meta,
            )
            blobs.names.append(document.storage_name)
            correction = CorrectionRequest.objects.create(
                patient=patient,
                changes=changes,
                previous={name: _value(patient, name) for name in changes},
                document=document,
                comment=comment,
            )
            record_event(
                action=CabinetAction.CORRECTION_FILED,
                meta=meta,
                actor=patient.user,
                correction=correction.pk,
                fields=sorted(changes),
                document=document.pk,
            )
    except IntegrityError as exc:  # the one-pending constraint, if two requests raced
        raise CorrectionError(already) from exc
    return correction


def _locked_pending(correction: CorrectionRequest) -> CorrectionRequest:
    locked = (
        CorrectionRequest.objects.select_for_update()
        .select_related("patient", "patient__user")
        .get(pk=correction.pk)
    )
    if not locked.is_pending:
        raise CorrectionError(
            _("Заявление уже рассмотрено: %(status)s.") % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def approve_correction(
    *, correction: CorrectionRequest, operator, meta: RequestMeta
) -> CorrectionRequest:
    """The operator accepts the request: the new values become the patient's."""
    _lock(correction.patient)  # the patient first, in the same order file_correction takes
    correction = _locked_pending(correction)
    patient = correction.patient
    for name, value in correction.changes.items():
        setattr(patient, name, date.fromisoformat(value) if name == "birth_date" else value)
    patient.save(update_fields=sorted(correction.changes))
    correction.status = CorrectionRequest.Status.APPROVED
    correction.decided_at = timezone.now()
    correction.decided_by = operator
    correction.save(update_fields=["status", "decided_at", "decided_by"])
    record_event(
        action=CabinetAction.CORRECTION_APPROVED,
        meta=meta,
        actor=operator,
        subject=patient.user,
        correction=correction.pk,
        fields=sorted(correction.changes),
    )
    notify_patient(
        patient=patient,
        kind=NotificationKind.CORRECTION_APPROVED,
        params={"changes": correction.new_values()},
        link=reverse("profile:corrections"),
    )
    return correction


@transaction.atomic
def reject_correction(
    *, correction: CorrectionRequest, operator, reason: str, meta: RequestMeta
) -> CorrectionRequest:
    """The operator refuses the request, saying why; the patient's data stays as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise CorrectionError(_("Укажите причину отказа: её увидит пациент."))
    _lock(correction.patient)
    correction = _locked_pending(correction)
    correction.status = CorrectionRequest.Status.REJECTED
    correction.decided_at = timezone.now()
    correction.decided_by = operator
    correction.reason = reason
    correction.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    record_event(
        action=CabinetAction.CORRECTION_REJECTED,
        meta=meta,
        actor=operator,
        subject=correction.patient.user,
        correction=correction.pk,
        reason=reason,
    )
    notify_patient(
        patient=correction.patient,
        kind=NotificationKind.CORRECTION_REJECTED,
        params={"reason": reason},
        link=reverse("profile:corrections"),
    )
    return correction
