"""Uploads to the cabinet are bounded before they are kept: a request by its Content-Length
(files and form together), each file by the per-file limit, so that no large file is ever
spooled to the disk."""

from django.core.files.uploadhandler import TemporaryFileUploadHandler

from egisz.cabinet.documents.models import StoredDocument
from tests.cabinet.documents.files import upload
from tests.cabinet.profile.helpers import valid_inn
from tests.common.bodies import post_declaring

PROFILE = "/profile/"


def test_the_limit_of_a_request_is_three_scans_and_the_form(settings):
    assert settings.UPLOAD_MAX_FILES == 3  # the profile's passport, СНИЛС, трудовая книжка
    assert settings.REQUEST_MAX_BYTES == 2_621_440 + 3 * settings.DOCUMENT_MAX_BYTES


def test_a_request_over_the_limit_is_refused_before_it_is_read(patient_client, settings):
    response, body = post_declaring(patient_client, PROFILE, settings.REQUEST_MAX_BYTES + 1)
    assert response.status_code == 413
    assert "За один раз можно отправить не больше 32,5 МБ вместе с файлами" in (
        response.content.decode()
    )
    assert body.read_bytes == 0


def test_a_file_over_the_limit_is_not_spooled_to_disk(patient_client, settings, monkeypatch):
    """A 12 MB scan where 3 MB are allowed: Django's temporary-file handler receives no more
    than 3 MB of it, and the form says why next to the field."""
    settings.DOCUMENT_MAX_BYTES = settings.UPLOAD_MAX_FILE_BYTES = 3 * 1024 * 1024
    spooled = {}
    original = TemporaryFileUploadHandler.receive_data_chunk

    def spy(handler, raw_data, start):
        spooled[handler.file_name] = spooled.get(handler.file_name, 0) + len(raw_data)
        return original(handler, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", spy)
    big = b"%PDF-1.7\n" + b"0" * (12 * 1024 * 1024)
    response = patient_client.post(
        PROFILE,
        {"inn": valid_inn(), "workplace": "Завод", "passport_scan": upload("passport.pdf", big)},
    )
    assert response.status_code == 400
    assert "Файл больше 3 МБ" in response.content.decode()
    assert 0 < spooled["passport.pdf"] <= 3 * 1024 * 1024


def test_more_files_than_a_form_has_fields_are_refused(patient_client):
    files = {f"scan{n}": upload(f"scan{n}.pdf", b"%PDF-1.7\n") for n in range(4)}
    response = patient_client.post(PROFILE, {"inn": valid_inn(), "workplace": "Завод", **files})
    assert response.status_code == 400
    assert not StoredDocument.objects.exists()
