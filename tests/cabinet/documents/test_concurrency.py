"""Uploads and correction requests racing each other (row locks: PostgreSQL only)."""

import threading

import pytest
from django.db import connection

from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.documents.services import store_document
from egisz.cabinet.profile.models import CorrectionRequest
from egisz.cabinet.profile.services import CorrectionError, file_correction
from tests.cabinet.documents.files import pdf_bytes, png_bytes, upload

RACERS = 4


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set EGISZ_CABINET_DATABASE_URL)")


def race(action):
    start = threading.Barrier(RACERS)
    results, errors = [], []

    def run(n):
        try:
            start.wait()
            results.append(action(n))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_one_kind_leave_one_current_version(
    postgres_only, patient, meta, documents_dir
):
    def upload_one(n):
        content = png_bytes(color=(n, n, n))
        return store_document(
            patient=patient, kind="passport", upload=upload(f"{n}.png", content), meta=meta
        )

    _results, errors = race(upload_one)
    assert errors == []
    rows = StoredDocument.objects.filter(patient=patient, kind="passport")
    assert rows.count() == RACERS
    assert rows.filter(archived_at=None).count() == 1
    assert sorted(p.name for p in documents_dir.iterdir()) == sorted(
        rows.values_list("storage_name", flat=True)
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_correction_requests_leave_one_pending_and_no_stray_file(
    postgres_only, patient, meta, documents_dir
):
    def file_one(n):
        return file_correction(
            patient=patient,
            changes={"first_name": f"Мария{'а' * n}"},
            comment="гонка",
            upload=upload("d.pdf", pdf_bytes(1)),
            meta=meta,
        )

    results, errors = race(file_one)
    assert len(results) == 1
    assert len(errors) == RACERS - 1
    assert all(isinstance(error, CorrectionError) for error in errors)
    assert CorrectionRequest.objects.filter(patient=patient, status="pending").count() == 1
    assert [p.name for p in documents_dir.iterdir()] == [results[0].document.storage_name]
