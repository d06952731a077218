"""Stored documents: encrypted at rest under random names, written atomically, versioned
(the previous version is archived, not deleted), no file left behind by a failed save."""

import os
import time

import pytest
from django.db import transaction

from egisz.cabinet.documents import services, storage
from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.documents.uploads import check_upload
from egisz.common.audit.models import AuditEvent
from tests.cabinet.documents.files import jpeg_bytes, pdf_bytes, png_bytes, upload

PASSPORT = StoredDocument.Kind.PASSPORT


def store(patient, meta, content=None, kind=PASSPORT, name="паспорт.png"):
    content = content if content is not None else png_bytes()
    return services.store_document(
        patient=patient, kind=kind, upload=upload(name, content), meta=meta
    )


def blobs(directory):
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_the_blob_on_disk_is_encrypted_and_reads_back_exactly(patient, meta, documents_dir):
    content = pdf_bytes(pages=1)
    document = store(patient, meta, content, name="скан.pdf")
    [name] = blobs(documents_dir)
    assert name == document.storage_name
    assert "скан" not in name
    on_disk = (documents_dir / name).read_bytes()
    assert on_disk != content
    assert content not in on_disk and b"%PDF" not in on_disk
    assert storage.read_blob(name) == content
    assert (documents_dir / name).stat().st_mode & 0o077 == 0  # not readable by others
    assert document.size == len(content)
    assert document.content_type == "application/pdf"
    import hashlib

    assert document.sha256 == hashlib.sha256(content).hexdigest()


def test_names_are_random(patient, meta):
    content = png_bytes()
    first, second = store(patient, meta, content), store(patient, meta, content)
    assert first.storage_name != second.storage_name


def test_a_new_version_archives_the_previous_one(patient, meta):
    old = store(patient, meta, png_bytes(color=(1, 2, 3)))
    new = store(patient, meta, jpeg_bytes(), name="passport.jpg")
    old.refresh_from_db()
    assert old.archived_at is not None and new.archived_at is None
    assert storage.read_blob(old.storage_name) == png_bytes(color=(1, 2, 3))  # kept
    current = StoredDocument.objects.filter(patient=patient, kind=PASSPORT, archived_at=None)
    assert list(current) == [new]
    event = AuditEvent.objects.filter(action="cabinet.document_uploaded").latest("pk")
    assert event.details["replaced"] == [old.pk]
    assert event.actor_id == str(patient.user.pk)


def test_versions_are_per_kind_and_per_patient(patient, other_patient, meta):
    passport = store(patient, meta)
    snils = store(patient, meta, kind=StoredDocument.Kind.SNILS)
    theirs = store(other_patient, meta)
    for document in (passport, snils, theirs):
        document.refresh_from_db()
        assert document.archived_at is None


def test_correction_evidence_is_never_archived_by_a_later_one(patient, meta):
    kind = StoredDocument.Kind.CORRECTION_EVIDENCE
    first, second = store(patient, meta, kind=kind), store(patient, meta, kind=kind)
    first.refresh_from_db()
    assert first.archived_at is None and second.archived_at is None


def test_a_failed_transaction_leaves_no_file(patient, meta, documents_dir, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the journal is down")

    monkeypatch.setattr(services, "record_event", broken)
    with pytest.raises(RuntimeError):
        store(patient, meta)
    assert blobs(documents_dir) == []
    assert not StoredDocument.objects.exists()


def test_a_write_that_fails_midway_leaves_no_temporary_file(documents_dir, monkeypatch):
    def no_rename(*args):
        raise OSError("disk full")

    monkeypatch.setattr(storage.os, "replace", no_rename)
    with pytest.raises(OSError):
        storage.write_blob(b"content")
    assert blobs(documents_dir) == []


def test_blobs_orphaned_by_an_outer_rollback_are_swept(patient, meta, documents_dir):
    kept = store(patient, meta)
    with pytest.raises(RuntimeError), transaction.atomic():
        store(patient, meta, kind=StoredDocument.Kind.SNILS)
        raise RuntimeError("something after the upload failed")
    assert len(blobs(documents_dir)) == 2  # the orphan exists until the sweep
    (documents_dir / ".tmp-leftover").write_bytes(b"half")
    known = StoredDocument.objects.values_list("storage_name", flat=True)
    # Young files may belong to a transaction still running: left alone.
    assert storage.sweep_orphans(known=known, older_than_seconds=3600) == 0
    old = time.time() - 7200
    for path in documents_dir.iterdir():
        os.utime(path, (old, old))
    assert storage.sweep_orphans(known=known, older_than_seconds=3600) == 2
    assert blobs(documents_dir) == [kept.storage_name]


def test_the_sweep_task_runs_from_the_worker(patient, meta, documents_dir, monkeypatch):
    store(patient, meta)
    orphan = storage.write_blob(b"orphan")
    old = time.time() - 7200
    os.utime(documents_dir / orphan, (old, old))
    monkeypatch.setattr(services, "_last_sweep", 0.0)
    assert services.sweep_orphan_blobs(limit=20) == 0
    assert not storage.blob_exists(orphan)
    assert AuditEvent.objects.filter(action="cabinet.document_orphans_removed").exists()


def test_an_unchecked_upload_is_checked_by_the_service(patient, meta):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        store(patient, meta, b"not a document", name="x.pdf")
    checked = check_upload(upload("x.png", png_bytes()))
    assert services.store_document(patient=patient, kind=PASSPORT, upload=checked, meta=meta)


@pytest.mark.parametrize("name", ["../../etc/passwd", "abc.bin", "", "0" * 32 + ".bin/.."])
def test_storage_names_cannot_point_outside_the_directory(name):
    with pytest.raises(storage.BlobMissing):
        storage.read_blob(name)
