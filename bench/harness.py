"""What the benchmarks share: the production-style server (gunicorn, PostgreSQL, Redis,
EGISZ_DEMO=0) on a recreated database, a standard-library HTTP client that logs in the way a
browser does, and CPU accounting per process group from /proc.

Used by bench/login.py (`make bench-login`), bench/oidc.py (`make bench-oidc`) and
bench/cabinet.py (`make bench-cabinet`, which runs both sites: `site` is "idp" or "cabinet").
"""

import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet
from psycopg import sql

PASSWORD = "Bench#Login2024"
# Logins come from a current browser: the server parses the user agent of each request.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/egisz_bench"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def cores() -> int:
    return len(os.sched_getaffinity(0))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))


def redis_url(db: int = 1) -> str:
    configured = os.environ.get("EGISZ_BENCH_REDIS_URL")
    if configured is not None:
        return "" if configured.lower() == "none" else configured
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return ""
    # Not db 0: the test suite empties that one.
    return f"redis://127.0.0.1:6379/{db}"


def egisz(env: dict[str, str], *args: str, site: str = "idp") -> str:
    done = subprocess.run(
        [str(BIN / "egisz"), site, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"egisz {site} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def shell(env: dict[str, str], code: str, site: str = "idp") -> str:
    """Runs ``code`` in `egisz <site> shell` with the server's settings; returns its output."""
    return egisz(env, "shell", "--no-imports", "-c", code, site=site)


def server_env(
    *,
    database_url: str,
    cache_url: str,
    data_dir: Path,
    extra: dict[str, str] | None = None,
    site: str = "idp",
) -> dict[str, str]:
    """The environment of a production start (EGISZ_DEMO=0, a random secret key), with the
    per-IP throttles raised: every request of a bench comes from 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGISZ_")}
    env.update(
        EGISZ_DEMO="0",
        EGISZ_SECRET_KEY=secrets.token_urlsafe(48),
        # Required outside demo; nothing is delivered (no worker runs).
        EGISZ_SMTP_HOST="127.0.0.1",
        EGISZ_SUPPORT_CONTACT="8 800 000-00-00",
        # Required outside demo: a key ring of its own for the secrets at rest.
        EGISZ_FIELD_ENCRYPTION_KEYS=f"bench:{Fernet.generate_key().decode()}",
        EGISZ_HTTPS="0",
        **{f"EGISZ_{site.upper()}_DATABASE_URL": database_url},
        EGISZ_DATA_DIR=str(data_dir),
        # Every request comes from 127.0.0.1: per-IP throttling would measure itself.
        EGISZ_LOGIN_IP_RATE="100000000/1m",
        EGISZ_CODE_IP_RATE="100000000/1m",
        EGISZ_LOG_LEVEL="WARNING",
    )
    for name in ("EGISZ_ARGON2_TIME_COST", "EGISZ_ARGON2_MEMORY_KIB", "EGISZ_ARGON2_PARALLELISM"):
        if name in os.environ:
            env[name] = os.environ[name]
    if cache_url:
        env["EGISZ_REDIS_URL"] = cache_url
    env.update(extra or {})
    return env


def prepare_database(
    env: dict[str, str], database_url: str, cache_url: str, site: str = "idp"
) -> None:
    """Drops and recreates the database, migrates, and empties the cache."""
    recreate_database(database_url)
    egisz(env, "migrate", "--no-input", site=site)
    egisz(env, "createcachetable", site=site)
    egisz(env, "collectstatic", "--no-input", site=site)
    if cache_url:
        shell(env, "from django.core.cache import cache; cache.clear()", site=site)


# Runs inside `egisz idp shell`: one hash made the configured way, shared by every account
# (setup only; each login still verifies it with a full Argon2id computation).
CREATE_ACCOUNTS = """
import json
from django.conf import settings
from django.contrib.auth.hashers import make_password
from egisz.idp.accounts.models import Account
password_hash = make_password({password!r})
Account.objects.bulk_create(
    [Account(phone=f"+7916{{i:07d}}", password=password_hash, last_name="Нагрузкина",
             first_name="Вера", level="simplified") for i in range({count})],
    batch_size=1000,
)
print(json.dumps({{
    "time_cost": settings.ARGON2_TIME_COST,
    "memory_cost": settings.ARGON2_MEMORY_COST_KIB,
    "parallelism": settings.ARGON2_PARALLELISM,
}}))
"""


def create_accounts(env: dict[str, str], count: int) -> str:
    """``count`` accounts with the phones of `phones(count)` and PASSWORD; returns the
    shell's output (its last line: the Argon2id parameters as JSON)."""
    return shell(env, CREATE_ACCOUNTS.format(password=PASSWORD, count=count))


def phones(count: int) -> list[str]:
    return [f"+7916{i:07d}" for i in range(count)]


def start_gunicorn(
    env: dict[str, str],
    *,
    workers: int,
    port: int,
    data_dir: Path,
    app: str = "egisz.idp.wsgi",
    threads: int = 1,
) -> subprocess.Popen:
    """gunicorn with sync workers (threads=1), or gthread workers with ``threads`` each."""
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            app,
            f"--workers={workers}",
            *([f"--threads={threads}"] if threads > 1 else []),
            f"--bind=127.0.0.1:{port}",
            "--backlog=2048",
            "--timeout=120",
            "--no-control-socket",
            "--log-level=warning",
        ],
        env=env,
        cwd=data_dir,
    )


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def new_data_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="egisz-bench-"))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class LoginFailed(Exception):
    pass


def opener(cookies: http.cookiejar.CookieJar | None = None) -> urllib.request.OpenerDirector:
    """A browser-like client that does not follow redirects (the bench reads them)."""
    jar = cookies if cookies is not None else http.cookiejar.CookieJar()
    result = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    result.addheaders = [("User-Agent", USER_AGENT), ("Accept-Language", "ru")]
    return result


def api_client() -> urllib.request.OpenerDirector:
    """A server-to-server client: no cookies, no redirects followed."""
    return urllib.request.build_opener(NoRedirect)


def call(
    client: urllib.request.OpenerDirector,
    url: str,
    data: dict | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, bytes]:
    """(status, Location, body) of one request; errors are answers too."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with client.open(request, timeout=60) as response:
            return response.status, response.headers.get("Location", ""), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Location", ""), error.read()


def latest_sms_code(conn: psycopg.Connection, phone: str) -> str | None:
    """The code in the newest SMS the IdP queued for ``phone`` (nothing is delivered during
    a bench), or None."""
    row = conn.execute(
        "SELECT body FROM outbox_message WHERE channel = 'sms' AND recipient = %s "
        "ORDER BY id DESC LIMIT 1",
        (phone,),
    ).fetchone()
    found = CODE.search(row[0]) if row else None
    return found.group(1) if found else None


@dataclass
class Client:
    """One simulated person at a time: cookies of their own, a database connection to read
    the SMS the server queued (nothing is delivered during the bench)."""

    base: str
    database_url: str
    conn: psycopg.Connection = field(init=False)

    def __post_init__(self):
        self.conn = psycopg.connect(self.database_url, autocommit=True)

    def latest_code(self, phone: str) -> str:
        code = latest_sms_code(self.conn, phone)
        if code is None:
            raise LoginFailed("no SMS code queued")
        return code

    def login(self, phone: str) -> urllib.request.OpenerDirector:
        """A full login (password, then the SMS code); returns the logged-in client."""
        session = opener()
        status, _, page = call(session, f"{self.base}/login/")
        token = CSRF_INPUT.search(page.decode())
        if status != 200 or not token:
            raise LoginFailed(f"GET /login/: {status}")
        form = {"csrfmiddlewaretoken": token.group(1), "next": "/"}
        status, location, _ = call(
            session, f"{self.base}/login/", {**form, "identifier": phone, "password": PASSWORD}
        )
        if (status, location) != (302, "/login/code/"):
            raise LoginFailed(f"POST /login/: {status} {location}")
        code = self.latest_code(phone)
        status, location, _ = call(
            session,
            f"{self.base}/login/code/",
            {"csrfmiddlewaretoken": token.group(1), "code": code},
        )
        if (status, location) != (302, "/"):
            raise LoginFailed(f"POST /login/code/: {status} {location}")
        return session

    def close(self) -> None:
        self.conn.close()


def proc_children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:  # ppid
                children.append(int(entry.name))
    return children


def pids_named(name: str) -> dict[int, str]:
    """pid → process title of the processes called `name`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    title = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                    found[int(entry.name)] = title.decode(errors="replace")
            except OSError:
                continue
    return found


def postgres_pids(database: str) -> list[int]:
    """The PostgreSQL backends serving `database` and the server's own processes (WAL
    writer, checkpointer…), not the backends of other databases on the same server."""
    chosen = []
    for pid, title in pids_named("postgres").items():
        words = title.split()
        is_client_backend = "[local]" in title or any("(" in w for w in words)
        if database in words or not is_client_backend:
            chosen.append(pid)
    return chosen


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / ticks, idle / ticks


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used between start() and stop() by the web workers, the PostgreSQL
    processes of the bench database, Redis, this process (the load generator), everything
    else on the machine, and idle time. Several start/stop rounds add up.

    The processes are sampled every half second while a round runs, so a PostgreSQL backend
    that starts during the round (a new connection) is counted from its start, and one that
    ends (a connection closed after CONN_MAX_AGE) keeps what it used until its last sample."""

    INTERVAL = 0.5

    def __init__(
        self,
        web_workers: list[int],
        database: str,
        *,
        more_web: dict[str, list[int]] | None = None,
        more_databases: tuple[str, ...] = (),
    ):
        """``more_web``: further groups of server processes by name (another site's
        workers); ``more_databases``: further databases whose backends count as postgres."""
        self.web_workers = web_workers
        self.more_web = dict(more_web or {})
        self.databases = (database, *more_databases)
        self.groups = ("web", *self.more_web, "postgres", "redis", "bench")
        self.used = dict.fromkeys((*self.groups, "other processes", "idle"), 0.0)
        self._stop = threading.Event()

    def _pids(self) -> dict[str, list[int]]:
        postgres = sorted({pid for name in self.databases for pid in postgres_pids(name)})
        return {
            "web": self.web_workers,
            **self.more_web,
            "postgres": postgres,
            "redis": list(pids_named("redis-server")),
        }

    def _sample(self, *, first: bool = False) -> None:
        for group, pids in self._pids().items():
            for pid in pids:
                value = process_cpu_seconds(pid)
                if value is None:
                    continue
                key = (group, pid)
                # A process first seen after the start began during the round.
                self._first.setdefault(key, value if first else 0.0)
                self._last[key] = value

    def _sampler(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self._sample()

    def start(self) -> None:
        self._first: dict[tuple[str, int], float] = {}
        self._last: dict[tuple[str, int], float] = {}
        self._sample(first=True)
        self._bench = time.process_time()
        self._machine = machine_cpu_seconds()
        self._stop.clear()
        self._thread = threading.Thread(target=self._sampler, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._sample()
        bench = time.process_time() - self._bench
        machine = machine_cpu_seconds()
        self._stop.set()
        self._thread.join()
        round_used = dict.fromkeys(self.groups, 0.0)
        for (group, pid), last in self._last.items():
            round_used[group] += last - self._first[(group, pid)]
        round_used["bench"] = bench
        busy = machine[0] - self._machine[0]
        # Anything else running on the machine (other tests, builds) competes for the cores.
        round_used["other processes"] = max(0.0, busy - sum(round_used.values()))
        round_used["idle"] = machine[1] - self._machine[1]
        for key, value in round_used.items():
            self.used[key] += value

    def stack(self) -> float:
        """Web (every site's) + PostgreSQL + Redis + load generator."""
        return sum(self.used[k] for k in self.groups)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit("the server did not become healthy")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
