"""Every upload is scanned by the antivirus last, after its format and integrity: a file
the scanner flags is refused next to its field, never stored, and journalled (signature and
SHA-256, never the file); a scanner that cannot answer refuses the upload too (fail
closed), with a message to try later, and never a 500.

Scanning runs against a real clamd (tests/cabinet/documents/clamd.py) whose only signature
is the EICAR test string; the failure modes of a scanner use a small fake server.
"""

import hashlib
import io
import json
import logging
import os
import re
import socket
import struct
import subprocess
import sys
import threading

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject

from egisz.cabinet.documents import antivirus
from egisz.cabinet.documents.antivirus import (
    CHUNK_BYTES,
    ClamdScanner,
    NoScanner,
    ScannerUnavailable,
    ScanResult,
    parse_reply,
)
from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.documents.services import store_document
from egisz.cabinet.documents.uploads import check_upload
from egisz.common.audit.models import AuditEvent
from tests.cabinet.documents.clamd import EICAR, SIGNATURE, free_port
from tests.cabinet.documents.files import jpeg_bytes, pdf_bytes, png_bytes, upload
from tests.cabinet.profile.helpers import valid_inn

INFECTED = "Файл не прошёл антивирусную проверку: обнаружена угроза. Такой файл загрузить нельзя."
UNAVAILABLE = "Проверка файлов на вирусы временно недоступна. Попробуйте загрузить файл позже."
CLAMD_SCANNER = "egisz.cabinet.documents.antivirus.ClamdScanner"
NO_SCANNER = "egisz.cabinet.documents.antivirus.NoScanner"


# --- files built in code -------------------------------------------------------------------


def eicar_pdf() -> bytes:
    """A valid one-page PDF whose page content stream carries the EICAR string as a PDF
    comment: it passes every format and integrity check, only the antivirus stops it."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    stream = DecodedStreamObject()
    stream.set_data(b"% " + EICAR + b"\n")
    page.replace_contents(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    content = buffer.getvalue()
    assert EICAR in content and len(PdfReader(io.BytesIO(content)).pages) == 1
    return content


def eicar_png() -> bytes:
    """A valid PNG with the EICAR string in a text chunk."""
    info = PngInfo()
    info.add_text("Comment", EICAR.decode("latin-1"))
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(buffer, format="PNG", pnginfo=info)
    assert EICAR in buffer.getvalue()
    return buffer.getvalue()


def blobs_in(directory) -> list:
    return [path for path in directory.rglob("*") if path.is_file()] if directory.exists() else []


def infected_events():
    return AuditEvent.objects.filter(action="cabinet.document_infected")


# --- scanners in settings --------------------------------------------------------------------


@pytest.fixture
def with_clamd(settings, clamd):
    settings.DOCUMENT_SCANNER = CLAMD_SCANNER
    settings.CLAMD_ADDRESS = clamd.address
    settings.CLAMD_TIMEOUT_SECONDS = 10
    return clamd


@pytest.fixture
def clamd_down(settings):
    """clamd configured at a port nobody listens on."""
    settings.DOCUMENT_SCANNER = CLAMD_SCANNER
    settings.CLAMD_ADDRESS = f"127.0.0.1:{free_port()}"
    settings.CLAMD_TIMEOUT_SECONDS = 5


class FakeClamd:
    """A TCP server that reads one INSTREAM request per connection and answers ``reply``
    (or never answers, when ``reply`` is None)."""

    def __init__(self, reply: bytes | None):
        self.reply = reply
        self.stop = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.address = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                self.received.append(self._read_request(conn))
                if self.reply is None:
                    self.stop.wait(10)
                else:
                    conn.sendall(self.reply)

    @staticmethod
    def _read_request(conn) -> bytes:
        def exactly(n):
            data = b""
            while len(data) < n:
                part = conn.recv(n - len(data))
                if not part:
                    raise EOFError
                data += part
            return data

        command = b""
        while not command.endswith(b"\0"):
            command += exactly(1)
        content = b""
        if command == b"zINSTREAM\0":
            while length := struct.unpack("!L", exactly(4))[0]:
                assert length <= CHUNK_BYTES
                content += exactly(length)
        return content

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.server.close()


@pytest.fixture
def fake_clamd(settings):
    servers = []

    def start(reply: bytes | None, timeout: float = 5):
        server = FakeClamd(reply)
        servers.append(server)
        settings.DOCUMENT_SCANNER = CLAMD_SCANNER
        settings.CLAMD_ADDRESS = server.address
        settings.CLAMD_TIMEOUT_SECONDS = timeout
        return server

    yield start
    for server in servers:
        server.close()


class CrashingScanner:
    def scan(self, content):
        raise ZeroDivisionError("a bug in a scanner plug-in")


# --- clamd's replies ---------------------------------------------------------------------------


def test_clamd_replies_are_parsed():
    assert parse_reply("stream: OK") == ScanResult(clean=True)
    assert parse_reply("stream: Win.Test.EICAR_HDB-1 FOUND") == ScanResult(
        clean=False, signature="Win.Test.EICAR_HDB-1"
    )
    for reply in (
        "INSTREAM size limit exceeded. ERROR",
        "stream: Can't allocate memory ERROR",
        "UNKNOWN COMMAND",
        "",
    ):
        with pytest.raises(ScannerUnavailable):
            parse_reply(reply)


# --- a real clamd ------------------------------------------------------------------------------


def test_clamd_finds_the_eicar_string_over_tcp_and_the_unix_socket(clamd):
    for address in (clamd.address, clamd.socket_path):
        scanner = ClamdScanner(address=address, timeout=10)
        assert scanner.ping()
        result = scanner.scan(EICAR)
        assert not result.clean
        assert result.signature.startswith(SIGNATURE)
        assert scanner.scan(b"just a letter, nothing else\n").clean


def test_a_file_longer_than_one_chunk_is_streamed_whole(clamd):
    """EICAR across the boundary of two INSTREAM chunks is still found: clamd sees the
    stream as one file."""
    scanner = ClamdScanner(address=clamd.address, timeout=10)
    straddling = b"a" * (CHUNK_BYTES - 30) + EICAR + b"b" * (3 * CHUNK_BYTES)
    assert not scanner.scan(straddling).clean
    assert scanner.scan(b"a" * (3 * CHUNK_BYTES + 17)).clean


@pytest.mark.parametrize(
    ("name", "build", "content_type"),
    [
        ("паспорт.pdf", lambda: pdf_bytes(pages=2), "application/pdf"),
        ("snils.png", png_bytes, "image/png"),
        ("snils.jpg", jpeg_bytes, "image/jpeg"),
    ],
)
def test_clean_files_pass_a_real_clamd(db, with_clamd, patient, meta, name, build, content_type):
    content = build()
    document = store_document(
        patient=patient, kind="passport", upload=upload(name, content), meta=meta
    )
    assert document.content_type == content_type
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert not infected_events().exists()


@pytest.mark.parametrize("build", [eicar_pdf, eicar_png], ids=["pdf", "png"])
def test_an_infected_file_in_an_accepted_format_is_refused_and_journalled(
    db, with_clamd, patient, meta, build, settings
):
    content = build()
    # Without the antivirus the file is a perfectly good scan: only the scan refuses it.
    settings.DOCUMENT_SCANNER = NO_SCANNER
    assert check_upload(upload("scan", content)).sha256
    settings.DOCUMENT_SCANNER = CLAMD_SCANNER

    with pytest.raises(ValidationError) as caught:
        check_upload(upload("scan", content), actor=patient.user, meta=meta)
    assert caught.value.code == "infected"
    assert caught.value.messages == [INFECTED]

    event = infected_events().get()
    assert event.result == AuditEvent.Result.FAILURE
    assert event.actor_id == str(patient.user.pk)
    assert event.ip == meta.ip
    assert event.details["signature"].startswith(SIGNATURE)
    assert event.details["sha256"] == hashlib.sha256(content).hexdigest()
    # The journal names the file by its hash; the file itself is nowhere in it.
    assert "ANTIVIRUS-TEST-FILE" not in json.dumps(event.details)
    assert set(event.details) == {"signature", "sha256", "content_type", "size"}


def test_an_infected_file_is_not_stored(db, with_clamd, patient, meta, documents_dir):
    with pytest.raises(ValidationError) as caught:
        store_document(
            patient=patient, kind="passport", upload=upload("p.pdf", eicar_pdf()), meta=meta
        )
    assert caught.value.messages == [INFECTED]
    assert not StoredDocument.objects.exists()
    assert blobs_in(documents_dir) == []
    assert infected_events().count() == 1


def test_plain_eicar_is_refused_as_a_wrong_format_before_any_scan(db, with_clamd):
    """EICAR is plain text: the format check refuses it; nothing was scanned, so nothing
    is journalled as infected."""
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("eicar.pdf", EICAR))
    assert caught.value.code == "format"
    assert not infected_events().exists()


# --- a scanner that cannot answer: fail closed -------------------------------------------------


def test_clamd_down_refuses_the_upload_and_stores_nothing(
    db, clamd_down, patient, meta, documents_dir, caplog
):
    with (
        caplog.at_level(logging.ERROR, logger="egisz.cabinet.documents.uploads"),
        pytest.raises(ValidationError) as caught,
    ):
        store_document(
            patient=patient, kind="passport", upload=upload("p.pdf", pdf_bytes(1)), meta=meta
        )
    assert caught.value.code == "scanner_unavailable"
    assert caught.value.messages == [UNAVAILABLE]
    assert not StoredDocument.objects.exists()
    assert blobs_in(documents_dir) == []
    assert not infected_events().exists()
    assert any(
        record.levelno == logging.ERROR and "antivirus check failed" in record.getMessage()
        for record in caplog.records
    )


def test_a_missing_unix_socket_refuses_the_upload(db, settings, tmp_path):
    settings.DOCUMENT_SCANNER = CLAMD_SCANNER
    settings.CLAMD_ADDRESS = str(tmp_path / "no-clamd.sock")
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("s.png", png_bytes()))
    assert caught.value.messages == [UNAVAILABLE]


@pytest.mark.parametrize(
    "reply",
    [
        b"INSTREAM size limit exceeded. ERROR\0",
        b"stream: Can't allocate memory ERROR\0",
        b"something clamd never says\0",
        b"",  # hangs up without a word
    ],
)
def test_a_scanner_answering_an_error_refuses_the_upload(db, fake_clamd, reply, caplog):
    server = fake_clamd(reply)
    content = pdf_bytes(1)
    with (
        caplog.at_level(logging.ERROR, logger="egisz.cabinet.documents.uploads"),
        pytest.raises(ValidationError) as caught,
    ):
        check_upload(upload("p.pdf", content))
    assert caught.value.messages == [UNAVAILABLE]
    assert server.received == [content]  # the whole file went over INSTREAM
    assert "antivirus check failed" in caplog.text
    assert not infected_events().exists()


def test_a_scanner_that_never_answers_times_out_and_refuses(db, fake_clamd):
    fake_clamd(None, timeout=0.3)
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("s.png", png_bytes()))
    assert caught.value.messages == [UNAVAILABLE]


def test_a_fake_clamd_answering_found_is_believed(db, fake_clamd):
    fake_clamd(b"stream: Some.Virus-1 FOUND\0")
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("s.png", png_bytes()))
    assert caught.value.code == "infected"
    assert infected_events().get().details["signature"] == "Some.Virus-1"


def test_a_crashing_scanner_plugin_refuses_instead_of_accepting(db, settings, caplog):
    settings.DOCUMENT_SCANNER = f"{__name__}.CrashingScanner"
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("s.png", png_bytes()))
    assert caught.value.messages == [UNAVAILABLE]
    assert "crashed" in caplog.text


# --- the journal entry survives the refusal ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_journal_entry_is_committed_on_its_own(with_clamd, make_patient, meta):
    """No test transaction around this one: the entry is really committed, in a
    transaction of its own, before the refusal is raised."""
    patient = make_patient()
    with pytest.raises(ValidationError):
        check_upload(upload("p.pdf", eicar_pdf()), actor=patient.user, meta=meta)
    assert not connection.in_atomic_block
    assert infected_events().filter(actor_id=str(patient.user.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_transaction_the_event_is_also_logged(with_clamd, make_patient, caplog):
    """Uploads are checked before a transaction opens; if a caller breaks that rule, its
    rollback could take the journal row along, so the log keeps the event too."""
    patient = make_patient()
    content = eicar_pdf()
    with (
        caplog.at_level(logging.WARNING, logger="egisz.cabinet.documents.uploads"),
        pytest.raises(ValidationError),
        transaction.atomic(),
    ):
        check_upload(upload("p.pdf", content), actor=patient.user)
    logged = caplog.text
    assert "outer transaction" in logged
    assert hashlib.sha256(content).hexdigest() in logged
    assert SIGNATURE in logged


# --- through the real forms --------------------------------------------------------------------


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<div class="field__error" id="id_{field}_error">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else ""


def test_an_infected_scan_on_the_profile_form_is_refused_next_to_its_field(
    with_clamd, patient_client, patient, documents_dir
):
    content = eicar_pdf()
    response = patient_client.post(
        "/profile/",
        {
            "inn": valid_inn(),
            "workplace": "ООО «Ромашка», бухгалтер",
            "passport_scan": upload("passport.pdf", content),
            "snils_scan": upload("snils.png", png_bytes()),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "passport_scan") == INFECTED
    assert field_error(html, "snils_scan") == ""
    # Nothing of the submission was saved.
    patient.refresh_from_db()
    assert patient.inn == ""
    assert not StoredDocument.objects.exists()
    assert blobs_in(documents_dir) == []
    assert not AuditEvent.objects.filter(action="cabinet.profile_saved").exists()
    event = infected_events().get()
    assert event.details["sha256"] == hashlib.sha256(content).hexdigest()
    assert event.details["signature"].startswith(SIGNATURE)
    assert event.actor_id == str(patient.user.pk)
    assert event.ip  # where the upload came from


def test_an_infected_correction_document_is_journalled_with_the_patient(
    with_clamd, patient_client, patient
):
    response = patient_client.post(
        "/profile/corrections/",
        {
            "last_name": "Смирнова",
            "first_name": "Мария",
            "middle_name": "Петровна",
            "birth_date": "1985-04-12",
            "comment": "Сменила фамилию после брака.",
            "document": upload("свидетельство.png", eicar_png()),
        },
    )
    assert response.status_code == 400
    assert field_error(response.content.decode(), "document") == INFECTED
    assert not StoredDocument.objects.exists()
    event = infected_events().get()
    assert event.actor_id == str(patient.user.pk)
    assert event.subject_id == str(patient.user.pk)


def test_clamd_down_on_the_profile_form_asks_to_try_later(clamd_down, patient_client, patient):
    response = patient_client.post(
        "/profile/",
        {
            "inn": valid_inn(),
            "workplace": "ООО «Ромашка», бухгалтер",
            "passport_scan": upload("passport.pdf", pdf_bytes(1)),
            "snils_scan": upload("snils.png", png_bytes()),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "passport_scan") == UNAVAILABLE
    assert field_error(html, "snils_scan") == UNAVAILABLE
    assert not StoredDocument.objects.exists()


# --- the scanner setting -----------------------------------------------------------------------


def test_the_demo_scans_nothing(db, settings):
    """`make run` needs no clamd: in demo mode the scanner is NoScanner."""
    assert os.environ.get("EGISZ_DEMO") == "1"
    assert settings.DOCUMENT_SCANNER == NO_SCANNER
    assert isinstance(antivirus.get_scanner(), NoScanner)
    assert check_upload(upload("p.pdf", eicar_pdf())).content_type == "application/pdf"
    assert not infected_events().exists()


def settings_in_a_fresh_interpreter(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EGISZ_", "DJANGO_"))}
    clean.update(
        EGISZ_DATA_DIR=str(tmp_path),
        EGISZ_CABINET_OIDC_CLIENT_ID="lk-egisz",
        EGISZ_CABINET_OIDC_CLIENT_SECRET="a-real-secret-of-the-cabinet-0123456789",
        EGISZ_SMTP_HOST="smtp.example.org",
        EGISZ_SUPPORT_CONTACT="8 800 100-00-00",
        EGISZ_SECRET_KEY="x" * 50,
        EGISZ_FIELD_ENCRYPTION_KEYS=f"2026a:{Fernet.generate_key().decode()}",
        **env,
    )
    code = "import egisz.cabinet.settings as s; print(s.DOCUMENT_SCANNER, s.CLAMD_ADDRESS)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_outside_the_demo_clamd_is_the_default_and_no_scanner_is_refused(tmp_path):
    demo = settings_in_a_fresh_interpreter(tmp_path, EGISZ_DEMO="1")
    assert demo.stdout.split() == [NO_SCANNER, "127.0.0.1:3310"], demo.stderr
    production = settings_in_a_fresh_interpreter(tmp_path, EGISZ_DEMO="0")
    assert production.stdout.split() == [CLAMD_SCANNER, "127.0.0.1:3310"], production.stderr
    unix = settings_in_a_fresh_interpreter(
        tmp_path, EGISZ_DEMO="0", EGISZ_CLAMD_ADDRESS="/run/clamav/clamd.ctl"
    )
    assert unix.stdout.split() == [CLAMD_SCANNER, "/run/clamav/clamd.ctl"], unix.stderr
    refused = settings_in_a_fresh_interpreter(
        tmp_path, EGISZ_DEMO="0", EGISZ_DOCUMENT_SCANNER=NO_SCANNER
    )
    assert refused.returncode != 0
    assert "EGISZ_DOCUMENT_SCANNER" in refused.stderr
