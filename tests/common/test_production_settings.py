"""A production start (EGISZ_DEMO off) refuses demo secrets and debug, and shows no demo pages.

Each case imports the settings in a fresh interpreter with a controlled environment.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from egisz.common.crypto import derived_key
from egisz.common.settings import DEMO_SECRET_KEY
from tests.field_keys import new_key

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
        "EGISZ_FIELD_ENCRYPTION_KEYS": f"2026a:{new_key()}",
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


@pytest.mark.parametrize(
    ("variable", "said"),
    [
        ("EGISZ_SMTP_HOST", "EGISZ_SMTP_HOST"),
        (
            "EGISZ_FIELD_ENCRYPTION_KEYS",
            "EGISZ_FIELD_ENCRYPTION_KEYS must be set outside demo mode",
        ),
    ],
)
def test_an_smtp_host_and_a_key_ring_are_required_outside_demo_mode(run, variable, said):
    env = production_env()
    del env[variable]

    result = import_settings(run, **env)

    assert result.returncode != 0
    assert said in result.stderr


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


# --- the field-encryption key ring -------------------------------------------------------------


def ring_of(run, **env) -> subprocess.CompletedProcess:
    code = (
        "import egisz.idp.settings as s\n"
        "print(' '.join(kid for kid, _ in s.FIELD_ENCRYPTION_KEYS))\n"
        "print(' '.join(key for _, key in s.FIELD_ENCRYPTION_KEYS))"
    )
    return run([sys.executable, "-c", code], **env)


@pytest.mark.parametrize(
    ("ring", "said"),
    [
        ("2026a:not-a-fernet-key", "the key of '2026a' is not a Fernet key"),
        ("2026a:{a},2026a:{b}", "key id '2026a' appears twice"),
        ("{a}", "entry 1 is not id:key"),
        ("2026a:{a},Старый:{b}", "key id 'Старый' must be"),
        ("legacy,2026a:{a}", "must be a key of its own"),
        ("2026a:{derived}", "must be a key of its own"),
    ],
    ids=["bad key", "duplicate id", "no id", "bad id", "legacy first", "secret-derived first"],
)
def test_a_bad_key_ring_is_refused_with_one_clear_line(run, ring, said):
    secret = secrets.token_urlsafe(40)
    a, b = new_key(), new_key()
    spec = ring.format(a=a, b=b, derived=derived_key(secret))

    result = import_settings(
        run, **production_env(EGISZ_SECRET_KEY=secret, EGISZ_FIELD_ENCRYPTION_KEYS=spec)
    )

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert "EGISZ_FIELD_ENCRYPTION_KEYS" in last_line and said in last_line
    assert a not in result.stderr and b not in result.stderr  # keys never reach the logs


def test_the_first_key_encrypts_and_a_bare_legacy_is_the_key_derived_as_before(run):
    secret, a = secrets.token_urlsafe(40), new_key()

    result = ring_of(
        run,
        **production_env(EGISZ_SECRET_KEY=secret, EGISZ_FIELD_ENCRYPTION_KEYS=f"2026b:{a},legacy"),
    )

    assert result.returncode == 0, result.stderr
    ids, keys = result.stdout.splitlines()
    assert ids == "2026b legacy"
    assert keys == f"{a} {derived_key(secret)}"


def test_the_old_single_key_variable_is_the_legacy_key(run):
    """EGISZ_FIELD_ENCRYPTION_KEY alone still starts (a ring of the one key legacy); beside
    a ring it is the ring's legacy key, for the values written before key rings."""
    old, a = new_key(), new_key()
    alone = production_env(EGISZ_FIELD_ENCRYPTION_KEY=old)
    del alone["EGISZ_FIELD_ENCRYPTION_KEYS"]

    result = ring_of(run, **alone)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["legacy", old]

    result = ring_of(
        run,
        **production_env(EGISZ_FIELD_ENCRYPTION_KEY=old, EGISZ_FIELD_ENCRYPTION_KEYS=f"2026b:{a}"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["2026b legacy", f"{a} {old}"]


def test_the_demo_derives_its_ring_from_the_demo_secret(run):
    result = ring_of(run, EGISZ_DEMO="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "demo legacy",
        f"{derived_key(DEMO_SECRET_KEY)} {derived_key(DEMO_SECRET_KEY)}",
    ]
