"""The `egisz` command as an operator meets it: a configuration problem is one line saying
what is missing and how to set it (never a traceback) with a non-zero exit code, and the
demo's supervisor leaves no server behind whatever signal stops it.

Every case runs the installed command in a fresh process with a clean environment (no
EGISZ_ variables) in a temporary directory.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.field_keys import new_key

EGISZ = str(Path(sys.executable).with_name("egisz"))
START_TIMEOUT = 90


def clean_env(tmp_path: Path, **env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EGISZ_", "DJANGO_"))}
    clean.update(env, EGISZ_DATA_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    return clean


def egisz(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [EGISZ, *args],
        env=clean_env(tmp_path, **env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line(result: subprocess.CompletedProcess, *expected: str, code: int = 2) -> str:
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0]
    return lines[0]


# --- Configuration problems: one line -------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        # README's «OpenID Connect provider», as a new user copies it next to the demo.
        [
            "idp",
            "create-client",
            "--name",
            "Запись к врачу",
            "--redirect-uri",
            "https://partner.example/cb",
            "--scopes",
            "openid fullname",
        ],
        ["idp", "list-clients"],
        ["idp"],
        ["cabinet", "migrate"],
        ["worker", "--once"],
        ["outbox"],
        ["demo-data"],
        ["serve-demo"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_without_demo_mode_or_a_secret_key_every_command_says_so_in_one_line(tmp_path, command):
    result = egisz(tmp_path, *command)

    assert_one_line(result, "EGISZ_SECRET_KEY", "EGISZ_DEMO=1")


def test_a_missing_smtp_host_is_named_with_the_way_to_the_demo(tmp_path):
    result = egisz(
        tmp_path,
        "idp",
        "list-clients",
        EGISZ_SECRET_KEY=secrets.token_urlsafe(32),
        EGISZ_FIELD_ENCRYPTION_KEYS=f"2026a:{new_key()}",
    )

    assert_one_line(result, "EGISZ_SMTP_HOST", "EGISZ_DEMO=1")


@pytest.mark.parametrize(
    ("ring", "said"),
    [
        (None, "EGISZ_FIELD_ENCRYPTION_KEYS must be set outside demo mode"),
        ("2026a:short", "EGISZ_FIELD_ENCRYPTION_KEYS: the key of '2026a' is not a Fernet key"),
    ],
    ids=["no ring", "bad key"],
)
def test_a_missing_or_bad_key_ring_is_one_line_naming_it(tmp_path, ring, said):
    production = {
        "EGISZ_SECRET_KEY": secrets.token_urlsafe(32),
        "EGISZ_SMTP_HOST": "smtp.example.org",
        "EGISZ_SUPPORT_CONTACT": "8 800 100-00-00",
    }
    if ring is not None:
        production["EGISZ_FIELD_ENCRYPTION_KEYS"] = ring
    result = egisz(tmp_path, "idp", "rotate-field-key", "--check", **production)

    assert_one_line(result, said)


def test_a_malformed_number_is_named(tmp_path):
    result = egisz(tmp_path, "idp", "list-clients", EGISZ_DEMO="1", EGISZ_IDP_PORT="восемь")

    assert_one_line(result, "EGISZ_IDP_PORT must be an integer")


def test_serve_demo_outside_demo_mode_says_how_to_start_the_demo(tmp_path):
    production = {
        "EGISZ_SECRET_KEY": secrets.token_urlsafe(32),
        "EGISZ_SMTP_HOST": "smtp.example.org",
        "EGISZ_SUPPORT_CONTACT": "8 800 100-00-00",
        "EGISZ_FIELD_ENCRYPTION_KEYS": f"2026a:{new_key()}",
        "EGISZ_CABINET_OIDC_CLIENT_ID": "egisz-cabinet",
        "EGISZ_CABINET_OIDC_CLIENT_SECRET": secrets.token_urlsafe(32),
        "EGISZ_DOCUMENT_SCANNER": "egisz.cabinet.documents.antivirus.ClamdScanner",
    }
    result = egisz(tmp_path, "serve-demo", **production)

    assert_one_line(result, "EGISZ_DEMO=1")


def test_a_database_without_tables_is_one_line_naming_migrate(tmp_path):
    # The demo's command run in another directory finds no demo database there.
    result = egisz(tmp_path, "idp", "list-clients", EGISZ_DEMO="1")

    assert_one_line(result, "egisz idp migrate", "./var", "EGISZ_IDP_DATABASE_URL", code=1)


def test_traceback_on_request(tmp_path):
    result = egisz(tmp_path, "idp", "list-clients", "--traceback")

    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "EGISZ_SECRET_KEY" in result.stderr


# --- The demo's supervisor --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def session_processes(session: int) -> list[int]:
    """Live (not zombie) processes of a session: the supervisor's and its children's."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        state, session_id = fields[0], int(fields[3])
        if session_id == session and state != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def demo(tmp_path):
    """`egisz serve-demo` on two free ports, in a session of its own (so a signal reaches
    the supervisor only, as `kill PID` sends it) and with its own SQLite files."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to see the supervisor's children")
    ports = {"EGISZ_IDP_PORT": str(free_port()), "EGISZ_CABINET_PORT": str(free_port())}
    log = (tmp_path / "serve-demo.log").open("wb")
    supervisor = subprocess.Popen(
        [EGISZ, "serve-demo"],
        env=clean_env(tmp_path, EGISZ_DEMO="1", **ports),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    ports = [int(port) for port in ports.values()]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not all(answers(port) for port in ports):
            assert supervisor.poll() is None, (tmp_path / "serve-demo.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve-demo.log").read_text()
            time.sleep(0.2)
        assert len(session_processes(supervisor.pid)) == 3  # the supervisor and two servers
        yield supervisor, ports
    finally:
        # Whatever happened, nothing of this test outlives it.
        for pid in session_processes(supervisor.pid):
            os.kill(pid, signal.SIGKILL)
        supervisor.wait(timeout=10)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_serve_demo_stops_both_servers(demo, stop):
    supervisor, ports = demo

    os.kill(supervisor.pid, stop)

    assert supervisor.wait(timeout=60) == 0
    assert session_processes(supervisor.pid) == []
    assert not any(answers(port) for port in ports)
