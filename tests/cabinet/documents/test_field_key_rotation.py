"""`egisz cabinet rotate-field-key` and the stored scans: every file is rewritten under the
ring's current key (the same name, atomically), so the old key can leave the ring and the
patient still downloads the same bytes; an interrupted run is finished by the next one."""

import io
import logging
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.urls import reverse

from egisz.cabinet.documents import services, storage
from egisz.cabinet.documents.models import StoredDocument
from egisz.common.audit.models import AuditEvent
from egisz.common.keyring.registry import encrypted_stores
from tests.cabinet.documents.files import jpeg_bytes, pdf_bytes, png_bytes, upload
from tests.field_keys import new_key, rotate

KEY_A, KEY_B, LEGACY = new_key(), new_key(), new_key()
FILES = "cabinet_documents.StoredDocument (files)"


def store(patient, meta, kind, content, name="скан.pdf"):
    return services.store_document(
        patient=patient, kind=kind, upload=upload(name, content), meta=meta
    )


def on_disk(documents_dir, document) -> bytes:
    return (documents_dir / document.storage_name).read_bytes()


def test_rotate_then_drop_the_old_keys_and_every_scan_still_downloads(
    patient_client, patient, meta, documents_dir, field_key_ring
):
    field_key_ring(("2026a", KEY_A))
    passport = store(patient, meta, StoredDocument.Kind.PASSPORT, pdf_bytes(pages=2))
    snils = store(patient, meta, StoredDocument.Kind.SNILS, jpeg_bytes(), "snils.jpg")
    # A scan stored before key rings: the bare Fernet token of its bytes.
    record = store(patient, meta, StoredDocument.Kind.EMPLOYMENT_RECORD, png_bytes(), "tk.png")
    (documents_dir / record.storage_name).write_bytes(Fernet(LEGACY.encode()).encrypt(png_bytes()))
    assert on_disk(documents_dir, passport).startswith(b"2026a:")

    field_key_ring(("2026b", KEY_B), ("2026a", KEY_A), ("legacy", LEGACY))
    assert "Перешифровано значений: 3 (ключ 2026b)" in rotate()

    field_key_ring(("2026b", KEY_B))
    for document, content in (
        (passport, pdf_bytes(pages=2)),
        (snils, jpeg_bytes()),
        (record, png_bytes()),
    ):
        assert on_disk(documents_dir, document).startswith(b"2026b:")
        response = patient_client.get(reverse("documents:download", args=[document.pk]))
        assert response.status_code == 200
        assert response.content == content
    assert sorted(p.name for p in documents_dir.iterdir()) == sorted(
        d.storage_name for d in (passport, snils, record)
    )  # rewritten in place: no second copy, no temporary file left
    assert f"{FILES}: 2026b — 3" in rotate("--check")
    event = AuditEvent.objects.get(action="keyring.field_key_rotated")
    assert event.details["rotated"][FILES] == 3


def test_an_interrupted_rotation_of_the_files_is_finished_by_the_next_run(
    patient, meta, documents_dir, field_key_ring
):
    field_key_ring(("2026a", KEY_A))
    documents = [
        store(patient, meta, StoredDocument.Kind.CORRECTION_EVIDENCE, pdf_bytes(pages=n))
        for n in (1, 2, 3)
    ]
    field_key_ring(("2026b", KEY_B), ("2026a", KEY_A))
    real = storage.reencrypt_blob
    calls = []

    def interrupted_at_the_second_file(name):
        calls.append(name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(name)

    with (
        mock.patch.object(storage, "reencrypt_blob", interrupted_at_the_second_file),
        pytest.raises(CommandError, match="Запустите команду снова"),
    ):
        rotate("--batch-size", "1")
    assert [on_disk(documents_dir, d)[:6] for d in documents] == [b"2026b:", b"2026a:", b"2026a:"]

    assert "Перешифровано значений: 2 (ключ 2026b)" in rotate("--batch-size", "1")
    field_key_ring(("2026b", KEY_B))
    for pages, document in enumerate(documents, start=1):
        assert storage.read_blob(document.storage_name) == pdf_bytes(pages=pages)


def test_a_missing_file_is_reported_and_the_others_rotated(
    patient, meta, documents_dir, field_key_ring
):
    field_key_ring(("2026a", KEY_A))
    gone = store(patient, meta, StoredDocument.Kind.PASSPORT, pdf_bytes())
    kept = store(patient, meta, StoredDocument.Kind.SNILS, pdf_bytes())
    (documents_dir / gone.storage_name).unlink()
    field_key_ring(("2026b", KEY_B), ("2026a", KEY_A))

    with pytest.raises(CommandError) as check:
        rotate("--check")
    assert "Не под текущим ключом: 1 значений" in str(check.value)
    with pytest.raises(CommandError, match="Не удалось перешифровать значений: 1"):
        rotate()
    assert on_disk(documents_dir, kept).startswith(b"2026b:")
    output = rotate("--check")
    assert f"{FILES}: 2026b — 1, нет файла — 1" in output
    assert "Не расшифровать (ключа нет в кольце или нет файла): 1." in output


def test_a_scan_under_a_key_not_in_the_ring_is_not_found_and_the_log_names_the_key(
    patient_client, patient, meta, field_key_ring, caplog
):
    field_key_ring(("2026a", KEY_A))
    document = store(patient, meta, StoredDocument.Kind.PASSPORT, pdf_bytes())
    field_key_ring(("2026b", KEY_B))
    with caplog.at_level(logging.ERROR):
        response = patient_client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 404
    assert "encrypted with key '2026a', which is not in the key ring" in caplog.text


def test_every_encrypted_store_of_the_cabinet_is_rotated():
    assert [store.label for store in encrypted_stores()] == [
        FILES,
        "cabinet_sso.ProviderGrant (access_token_encrypted, refresh_token_encrypted)",
    ]
    call_command("check", stdout=io.StringIO())  # keyring.E001 would stop every command
