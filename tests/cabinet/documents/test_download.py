"""«Скачать»: the patient's own documents only, byte for byte, as an attachment."""

import pytest
from django.urls import reverse

from egisz.cabinet.documents import services
from egisz.cabinet.documents.models import StoredDocument
from egisz.common.audit.models import AuditEvent
from tests.cabinet.documents.files import jpeg_bytes, pdf_bytes, upload


@pytest.fixture
def document(patient, meta):
    return services.store_document(
        patient=patient,
        kind=StoredDocument.Kind.PASSPORT,
        upload=upload('паспорт "скан".pdf', pdf_bytes(pages=2)),
        meta=meta,
    )


def url(document):
    return reverse("documents:download", args=[document.pk])


def test_the_patient_downloads_the_original_bytes(patient_client, document, patient):
    response = patient_client.get(url(document))
    assert response.status_code == 200
    assert response.content == pdf_bytes(pages=2)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(pdf_bytes(pages=2)))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert '"' not in disposition.split("filename*=", 1)[-1]  # the quotes were dropped
    assert "filename*=utf-8''" in disposition and ".pdf" in disposition
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="cabinet.document_downloaded")
    assert event.actor_id == str(patient.user.pk)


def test_the_download_name_gets_the_real_extension(patient_client, patient, meta):
    document = services.store_document(
        patient=patient,
        kind=StoredDocument.Kind.SNILS,
        upload=upload("scan", jpeg_bytes()),
        meta=meta,
    )
    response = patient_client.get(url(document))
    assert response["Content-Disposition"] == 'attachment; filename="scan.jpg"'


def test_an_archived_version_is_still_downloadable(patient_client, patient, document, meta):
    services.store_document(
        patient=patient,
        kind=StoredDocument.Kind.PASSPORT,
        upload=upload("new.jpg", jpeg_bytes()),
        meta=meta,
    )
    document.refresh_from_db()
    assert document.archived_at is not None
    assert patient_client.get(url(document)).content == pdf_bytes(pages=2)


def test_another_patient_gets_404(login_as, other_patient, document):
    client = login_as(other_patient)
    response = client.get(url(document))
    assert response.status_code == 404
    assert pdf_bytes(pages=2) not in response.content
    assert not AuditEvent.objects.filter(action="cabinet.document_downloaded").exists()


def test_an_unknown_document_is_404(patient_client):
    assert patient_client.get("/documents/999999/download/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, document):
    response = client.get(url(document))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sso:login"))


def test_a_tampered_blob_is_not_served(patient_client, document, documents_dir):
    path = documents_dir / document.storage_name
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    assert patient_client.get(url(document)).status_code == 404


def test_a_blob_swapped_for_another_one_is_not_served(patient_client, document, documents_dir):
    other = services.storage.write_blob(b"another document entirely")
    (documents_dir / other).replace(documents_dir / document.storage_name)
    assert patient_client.get(url(document)).status_code == 404


def test_only_get_is_allowed(patient_client, document):
    assert patient_client.post(url(document)).status_code == 405
