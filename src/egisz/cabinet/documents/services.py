"""Writes on stored documents. Each changes state and records its audit event in one
transaction; the encrypted blob is written first and removed again if that transaction
fails."""

import hashlib
import time

from django.db import transaction
from django.utils import timezone

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.documents import storage
from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.documents.uploads import CheckedUpload, check_upload
from egisz.cabinet.patients.models import Patient
from egisz.common.audit.services import record_event
from egisz.common.request_meta import SYSTEM, RequestMeta


def store_document(*, patient: Patient, kind: str, upload, meta: RequestMeta) -> StoredDocument:
    """Stores ``upload`` (a CheckedUpload, or an uploaded file which is checked here and may
    raise ValidationError) as the patient's current document of ``kind``. The previous
    current one of a versioned kind is archived, not deleted."""
    if kind not in StoredDocument.Kind.values:
        raise ValueError(f"unknown document kind {kind!r}")
    checked = (
        upload
        if isinstance(upload, CheckedUpload)
        else check_upload(upload, actor=patient.user, meta=meta)
    )
    name = storage.write_blob(checked.content)
    try:
        with transaction.atomic():
            # One upload of a patient at a time: the archive-then-create below stays exact.
            Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").get()
            now = timezone.now()
            replaced = []
            if kind in StoredDocument.VERSIONED_KINDS:
                current = StoredDocument.objects.filter(
                    patient=patient, kind=kind, archived_at__isnull=True
                )
                replaced = list(current.values_list("pk", flat=True))
                current.update(archived_at=now)
            document = StoredDocument.objects.create(
                patient=patient,
                kind=kind,
                original_name=checked.original_name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                pages=checked.pages,
                storage_name=name,
                uploaded_at=now,
            )
            record_event(
                action=CabinetAction.DOCUMENT_UPLOADED,
                meta=meta,
                actor=patient.user,
                document=document.pk,
                kind=kind,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                replaced=replaced,
            )
    except BaseException:
        storage.delete_blob(name)
        raise
    return document


def read_document(*, document: StoredDocument, reader, meta: RequestMeta) -> bytes:
    """The original bytes of ``document``, journalled as read by ``reader`` (the patient's
    user or a staff member). Raises storage.BlobMissing when the blob is gone or altered."""
    content = storage.read_blob(document.storage_name)
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise storage.BlobMissing(document.storage_name)
    by_staff = reader.pk != document.patient.user_id
    record_event(
        action=CabinetAction.DOCUMENT_VIEWED_BY_STAFF
        if by_staff
        else CabinetAction.DOCUMENT_DOWNLOADED,
        meta=meta,
        actor=reader,
        subject=document.patient.user,
        document=document.pk,
        kind=document.kind,
    )
    return content


_last_sweep = 0.0
SWEEP_EVERY_SECONDS = 600


def sweep_orphan_blobs(*, limit: int = 0, older_than_seconds: int = 3600) -> int:
    """Worker task: removes blobs whose database row never committed (a crash or an outer
    rollback after the write). Runs at most every SWEEP_EVERY_SECONDS per process."""
    global _last_sweep
    now = time.monotonic()
    if _last_sweep and now - _last_sweep < SWEEP_EVERY_SECONDS:
        return 0
    _last_sweep = now
    known = StoredDocument.objects.values_list("storage_name", flat=True).iterator()
    deleted = storage.sweep_orphans(known=known, older_than_seconds=older_than_seconds)
    if deleted:
        record_event(action=CabinetAction.DOCUMENT_ORPHANS_REMOVED, meta=SYSTEM, count=deleted)
    return 0  # housekeeping: never keeps the worker from resting
