"""A production start (EGISZ_DEMO off) refuses demo secrets and debug, and shows no demo pages.

Each case imports the settings in a fresh interpreter with a controlled environment.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from egisz.common.settings import DEMO_SECRET_KEY

EGISZ = str(Path(sys.executable).with_name("egisz"))

# tests/conftest.py clears the (database) cache around every test.
pytestmark = pytest.mark.django_db


@pytest.fixture
def run(tmp_path):
    def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("EGISZ_", "DJANGO_"))}
        clean["EGISZ_DATA_DIR"] = str(tmp_path)
        clean.update(env)
        return subprocess.run(
            args, env=clean, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )

    return run


def import_settings(run, **env):
    return run([sys.executable, "-c", "import egisz.idp.settings"], **env)


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "EGISZ_DEMO": "0",
        "EGISZ_SECRET_KEY": secrets.token_urlsafe(30),
        "EGISZ_SMTP_HOST": "smtp.example.org",
        "EGISZ_SUPPORT_CONTACT": "8 800 100-00-00, help@example.org",
    }
    env.update(overrides)
    return env


def test_without_a_secret_key_the_settings_refuse_to_load(run):
    result = import_settings(run)

    assert result.returncode != 0
    assert "EGISZ_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("secret", [DEMO_SECRET_KEY, "too-short-secret"])
def test_a_demo_or_short_secret_key_is_refused(run, secret):
    result = import_settings(run, **production_env(EGISZ_SECRET_KEY=secret))

    assert result.returncode != 0
    assert "EGISZ_SECRET_KEY" in result.stderr


def test_debug_is_refused_outside_demo_mode(run):
    result = import_settings(run, **production_env(EGISZ_DEBUG="1"))

    assert result.returncode != 0
    assert "EGISZ_DEBUG" in result.stderr


def test_an_smtp_host_is_required_outside_demo_mode(run):
    env = production_env()
    del env["EGISZ_SMTP_HOST"]

    result = import_settings(run, **env)

    assert result.returncode != 0
    assert "EGISZ_SMTP_HOST" in result.stderr


@pytest.mark.parametrize("contact", [None, "", "   "])
def test_a_support_contact_is_required_outside_demo_mode(run, contact):
    """Pages and notices send people to support: a production start without a way to
    reach it would leave them at a dead end."""
    env = production_env()
    if contact is None:
        del env["EGISZ_SUPPORT_CONTACT"]
    else:
        env["EGISZ_SUPPORT_CONTACT"] = contact

    result = import_settings(run, **env)

    assert result.returncode != 0
    assert "EGISZ_SUPPORT_CONTACT" in result.stderr


def test_a_proper_production_configuration_loads(run):
    result = import_settings(run, **production_env())

    assert result.returncode == 0, result.stderr


def test_production_routes_no_demo_outbox(run):
    code = (
        "import django; django.setup()\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n"
        "    resolve('/dev/outbox')\n"
        "except Resolver404:\n"
        "    print('absent')\n"
        "else:\n"
        "    print('present')\n"
    )
    result = run(
        [sys.executable, "-c", code],
        DJANGO_SETTINGS_MODULE="egisz.idp.settings",
        **production_env(),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "absent"


@pytest.mark.parametrize("command", ["outbox", "serve-demo"])
def test_demo_commands_refuse_in_production(run, command):
    result = run([EGISZ, command], **production_env())

    assert result.returncode != 0
    assert "EGISZ_DEMO=1" in result.stderr
