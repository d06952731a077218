"""Real-browser tests: the IdP and the cabinet run as real servers (gunicorn) with their
outbox workers, each on a database of its own, and Debian's Chromium drives them through
Playwright as a person would.

These tests never touch pytest-django's test database: everything they need goes through
the running server, or through `egisz idp …` subprocesses pointed at the server's database.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# Debian's chromium package; EGISZ_CHROMIUM points elsewhere on other systems.
CHROMIUM = Path(os.environ.get("EGISZ_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking switches Chromium keeps calling home, which floods a
# closed network with connection attempts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 60
DEFAULT_TIMEOUT_MS = 15_000

# Logs of the processes started here, printed in the summary when something failed.
_LOGS: list[Path] = []


def _bin(name: str) -> list[str]:
    """A console script of the interpreter running pytest (the project's virtualenv)."""
    script = Path(sys.executable).parent / name
    if script.exists():
        return [str(script)]
    found = shutil.which(name)
    if found:
        return [found]
    module = {"egisz": "egisz.cli", "gunicorn": "gunicorn"}[name]
    return [sys.executable, "-m", module]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


class PostgresDatabase:
    """A throw-away database next to the one named by the CI's URL (its name + "_e2e")."""

    def __init__(self, base_url: str):
        import psycopg

        self._psycopg = psycopg
        base_name = urlsplit(base_url).path.lstrip("/") or "egisz"
        self.name = f"{base_name}_e2e"
        self.url = _with_database(base_url, self.name)
        self._maintenance_url = _with_database(base_url, "postgres")

    def _run(self, statement: str) -> None:
        from psycopg import sql

        with self._psycopg.connect(self._maintenance_url, autocommit=True) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(self.name)))

    def create(self) -> None:
        self.drop()
        self._run("CREATE DATABASE {}")

    def drop(self) -> None:
        # FORCE: a connection the server left behind must not keep the database alive.
        self._run("DROP DATABASE IF EXISTS {} WITH (FORCE)")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


@dataclass
class SiteServer:
    url: str
    env: dict[str, str]
    data_dir: Path
    site: str = "idp"
    processes: list[Process] = field(default_factory=list)

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run `egisz <site> <args>` against the server's database; returns its output."""
        return _run_checked([*_bin("egisz"), self.site, *args], self.env, timeout=timeout)

    def shell(self, code: str) -> str:
        return self.manage("shell", "--no-imports", "-c", code)

    def start(self, name: str, command: list[str]) -> Process:
        log = self.data_dir / f"{name}.log"
        _LOGS.append(log)
        handle = log.open("wb")
        popen = subprocess.Popen(
            command, env=self.env, stdout=handle, stderr=subprocess.STDOUT, cwd=self.data_dir
        )
        handle.close()
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def _run_checked(command: list[str], env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def _wait_healthy(url: str, server: Process) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not server.alive():
            break
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    log = server.log.read_text(errors="replace")
    raise RuntimeError(f"{server.name} did not answer /healthz at {url}:\n{log}")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Replaces the suite-wide cache reset: these tests must not touch Django's database
    from the test process (the server has its own)."""
    yield


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"{CHROMIUM} is missing: install Debian's chromium package to run these tests"
    if os.environ.get("EGISZ_REQUIRE_BROWSER") == "1":
        pytest.fail(f"EGISZ_REQUIRE_BROWSER=1 but {message}", pytrace=False)
    pytest.skip(message)


def _base_env() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE" and not key.startswith("PYTEST_")
    }


def _gunicorn(module: str, port: int) -> list[str]:
    return [
        *_bin("gunicorn"),
        module,
        f"--bind=127.0.0.1:{port}",
        "--workers=2",
        "--threads=4",
        "--access-logfile=-",
        "--graceful-timeout=5",
        # A throw-away server: no control socket in $HOME shared with others.
        "--no-control-socket",
    ]


@pytest.fixture(scope="session")
def idp(chromium_path, tmp_path_factory) -> SiteServer:
    """The IdP served by gunicorn on a free port, with `egisz worker` delivering the outbox,
    on a fresh database (SQLite in a temp dir, or PostgreSQL "<name>_e2e" in CI)."""
    data_dir = tmp_path_factory.mktemp("idp")
    port = _free_port()
    env = _base_env()
    env.update(
        EGISZ_DEMO="1",
        EGISZ_DATA_DIR=str(data_dir),
        EGISZ_IDP_PORT=str(port),
        # The issuer in tokens and discovery is the address relying parties use.
        EGISZ_IDP_ISSUER=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    database = None
    if env.get("EGISZ_IDP_DATABASE_URL"):
        database = PostgresDatabase(env["EGISZ_IDP_DATABASE_URL"])
        database.create()
        env["EGISZ_IDP_DATABASE_URL"] = database.url
    server = SiteServer(url=f"http://127.0.0.1:{port}", env=env, data_dir=data_dir)
    try:
        server.manage("migrate", "--no-input", timeout=300)
        server.manage("createcachetable")
        # Throttling counters live in the cache (Redis in CI): start without old ones.
        server.shell("from django.core.cache import cache; cache.clear()")
        web = server.start("gunicorn", _gunicorn("egisz.idp.wsgi", port))
        server.start("worker", [*_bin("egisz"), "worker", "--idle-seconds=0.5"])
        _wait_healthy(server.url, web)
        yield server
    finally:
        server.stop()
        if database is not None:
            database.drop()


CABINET_SCOPES = "openid fullname birthdate snils inn mobile email"


@pytest.fixture(scope="session")
def cabinet(idp, tmp_path_factory) -> SiteServer:
    """The cabinet served by gunicorn on a free port with its worker, registered at the IdP
    as a confidential client with its own redirect URI, on a fresh database of its own."""
    data_dir = tmp_path_factory.mktemp("cabinet")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    client = json.loads(
        idp.manage(
            "create_client",
            "--name=ЕГИСЗ",
            f"--redirect-uri={url}/sso/callback/",
            f"--post-logout-uri={url}/",
            f"--backchannel-logout-uri={url}/sso/backchannel-logout/",
            f"--scopes={CABINET_SCOPES}",
            # It refreshes its tokens while the citizen's session lasts.
            "--always-refresh-tokens",
        )
    )
    env = _base_env()
    env.update(
        EGISZ_DEMO="1",
        EGISZ_DATA_DIR=str(data_dir),
        EGISZ_CABINET_PORT=str(port),
        EGISZ_CABINET_URL=url,
        EGISZ_CABINET_OIDC_ISSUER=idp.url,
        EGISZ_CABINET_OIDC_CLIENT_ID=client["client_id"],
        EGISZ_CABINET_OIDC_CLIENT_SECRET=client["client_secret"],
        PYTHONUNBUFFERED="1",
    )
    database = None
    if env.get("EGISZ_CABINET_DATABASE_URL"):
        database = PostgresDatabase(env["EGISZ_CABINET_DATABASE_URL"])
        database.create()
        env["EGISZ_CABINET_DATABASE_URL"] = database.url
    server = SiteServer(url=url, env=env, data_dir=data_dir, site="cabinet")
    try:
        server.manage("migrate", "--no-input", timeout=300)
        server.manage("createcachetable")
        server.manage("demo_data", timeout=300)
        web = server.start("cabinet-gunicorn", _gunicorn("egisz.cabinet.wsgi", port))
        server.start("cabinet-worker", [*_bin("egisz"), "cabinet", "worker", "--idle-seconds=0.5"])
        _wait_healthy(server.url, web)
        yield server
    finally:
        server.stop()
        if database is not None:
            database.drop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, idp):
    """Opens a separate browser profile (its own cookies), like a second device."""
    contexts = []

    def make():
        context = browser.new_context(base_url=idp.url, locale="ru-RU")
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


_phones = iter(range(1_000, 10_000))


@pytest.fixture
def unique_phone(idp) -> str:
    """A mobile number no other test of this run uses (codes are limited per phone)."""
    return f"+7916555{next(_phones):04d}"


@pytest.fixture
def make_account(idp):
    """Creates an account directly in the server's database, as an earlier registration
    would have left it."""

    def make(*, phone: str, password: str, first_name="Анна", last_name="Смирнова") -> str:
        idp.shell(
            "import datetime\n"
            "from egisz.idp.accounts.models import Account\n"
            f"Account.objects.create_user(phone={phone!r}, password={password!r}, "
            f"first_name={first_name!r}, last_name={last_name!r}, "
            "birth_date=datetime.date(1990, 5, 17), level='simplified')\n"
        )
        return phone

    return make


def pytest_terminal_summary(terminalreporter):
    if not (terminalreporter.stats.get("failed") or terminalreporter.stats.get("error")):
        return
    for log in _LOGS:
        if log.exists():
            terminalreporter.section(f"e2e {log.stem} log (last 200 lines)")
            lines = log.read_text(errors="replace").splitlines()[-200:]
            terminalreporter.write_line("\n".join(lines))
