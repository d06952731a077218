"""A cabinet web process in miniature whose peak memory a test can read.

Run as ``python -m tests.cabinet.documents.memory_probe WORKDIR FILE...`` (with src and the
repository on the path): it sets up the cabinet on an in-memory SQLite database (files in
WORKDIR), logs a patient in, sends the profile form once with small real scans (so that
every module and decoder a request needs is loaded), then once with FILE... in the scan
fields, and prints JSON: the peak resident memory (ru_maxrss, KiB) before and after the
second request, its status and the error shown next to each field. Pillow's pixels live in
C allocations, which only the process's own peak shows.
"""

import json
import os
import resource
import sys
from pathlib import Path


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(workdir: str, paths: list[str]) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "egisz.cabinet.settings",
            "EGISZ_DEMO": "1",
            "EGISZ_DATA_DIR": workdir,
            "EGISZ_CABINET_DOCUMENTS_DIR": str(Path(workdir) / "documents"),
            "EGISZ_CABINET_DATABASE_URL": "",  # in-memory SQLite, whatever the suite uses
            "EGISZ_REDIS_URL": "",
            "EGISZ_DOCUMENT_SCANNER": "egisz.cabinet.documents.antivirus.NoScanner",
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from egisz.cabinet.patients.services import sign_in_patient
    from egisz.common.request_meta import RequestMeta
    from tests.cabinet.documents.files import jpeg_bytes, pdf_bytes, png_bytes
    from tests.cabinet.profile.helpers import valid_inn

    setup_test_environment()
    settings.OIDC_GRANT_CHECK_SECONDS = None
    connection.creation.create_test_db(verbosity=0, serialize=False)
    patient, _created = sign_in_patient(
        issuer="https://idp.test",
        subject="memory-probe",
        claims={"family_name": "Иванова", "given_name": "Мария", "phone_number": "+79165550001"},
        level="urn:egisz:loa:confirmed",
        meta=RequestMeta(),
    )
    client = Client()
    client.force_login(patient.user)
    fields = ("passport_scan", "snils_scan", "employment_record_scan")

    def post(files: dict):
        return client.post("/profile/", {"inn": valid_inn(), "workplace": "не работаю", **files})

    warm_up = post(
        {
            "passport_scan": SimpleUploadedFile("p.pdf", pdf_bytes(1)),
            "snils_scan": SimpleUploadedFile("s.jpg", jpeg_bytes()),
            "employment_record_scan": SimpleUploadedFile("t.png", png_bytes()),
        }
    )
    assert warm_up.status_code == 302, warm_up.status_code
    before = _peak_kib()
    files = {
        field: SimpleUploadedFile(Path(path).name, Path(path).read_bytes())
        for field, path in zip(fields, paths, strict=False)
    }
    response = post(files)
    after = _peak_kib()
    form = response.context["form"] if response.context else None
    errors = {field: list(form.errors.get(field, [])) for field in fields} if form else {}
    print(
        json.dumps(
            {
                "before_kib": before,
                "after_kib": after,
                "status": response.status_code,
                "errors": errors,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
