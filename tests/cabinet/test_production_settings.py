"""Outside demo mode the cabinet refuses to start without its own OpenID Connect client,
and never with the demo client's public secret. Each case imports the settings in a fresh
interpreter with a controlled environment."""

import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from egisz.cabinet.settings import DEMO_OIDC_CLIENT_SECRET


def import_cabinet_settings(
    tmp_path, *, code: str = "import egisz.cabinet.settings", **env: str
) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EGISZ_", "DJANGO_"))}
    clean.update(
        {
            "EGISZ_DATA_DIR": str(tmp_path),
            "EGISZ_DEMO": "0",
            "EGISZ_SECRET_KEY": secrets.token_urlsafe(40),
            "EGISZ_SMTP_HOST": "smtp.example.org",
            "EGISZ_SUPPORT_CONTACT": "8 800 100-00-00",
            "EGISZ_FIELD_ENCRYPTION_KEYS": f"2026a:{Fernet.generate_key().decode()}",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "client",
    [
        {},
        {"EGISZ_CABINET_OIDC_CLIENT_ID": "lk-egisz"},
        {
            "EGISZ_CABINET_OIDC_CLIENT_ID": "egisz-cabinet",
            "EGISZ_CABINET_OIDC_CLIENT_SECRET": DEMO_OIDC_CLIENT_SECRET,
        },
    ],
    ids=["nothing", "no secret", "demo secret"],
)
def test_production_needs_a_client_of_its_own(tmp_path, client):
    result = import_cabinet_settings(tmp_path, **client)
    assert result.returncode != 0
    assert "EGISZ_CABINET_OIDC_CLIENT_SECRET" in result.stderr


def test_production_starts_with_a_real_client(tmp_path):
    result = import_cabinet_settings(
        tmp_path,
        EGISZ_CABINET_OIDC_CLIENT_ID="lk-egisz",
        EGISZ_CABINET_OIDC_CLIENT_SECRET=secrets.token_urlsafe(40),
    )
    assert result.returncode == 0, result.stderr


def test_production_needs_a_key_ring_of_its_own(tmp_path):
    result = import_cabinet_settings(
        tmp_path,
        EGISZ_CABINET_OIDC_CLIENT_ID="lk-egisz",
        EGISZ_CABINET_OIDC_CLIENT_SECRET=secrets.token_urlsafe(40),
        EGISZ_FIELD_ENCRYPTION_KEYS="",
    )
    assert result.returncode != 0
    assert "EGISZ_FIELD_ENCRYPTION_KEYS must be set outside demo mode" in result.stderr
