"""Login throughput: full logins (password + SMS code) against the IdP served the production
way (gunicorn, several workers, PostgreSQL, EGISZ_DEMO=0), compared with what one core does
with the configured Argon2id parameters alone. See bench/README.md for what each figure means.

Run with `make bench-login`. Configuration (environment):
  EGISZ_BENCH_DATABASE_URL  PostgreSQL database to drop and recreate
                            (default postgres://postgres@127.0.0.1:5432/egisz_bench)
  EGISZ_BENCH_REDIS_URL     cache for the server (default redis://127.0.0.1:6379/1 when Redis
                            answers there, else the database cache); "none" for the latter
  BENCH_SECONDS             duration of the measured load (default 30)
  BENCH_ACCOUNTS            accounts created; each logs in at most once (default 4000)
  BENCH_WORKERS             gunicorn workers (default: the number of cores)
  BENCH_CONCURRENCY         simultaneous logins (default: 2 × workers)
  BENCH_HASH_SECONDS        duration of the single-core Argon2id measurement (default 5)
"""

import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from argon2 import PasswordHasher
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


def recreate_database(url: str) -> None:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))


def redis_url() -> str:
    configured = os.environ.get("EGISZ_BENCH_REDIS_URL")
    if configured is not None:
        return "" if configured.lower() == "none" else configured
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return ""
    # Not db 0: the test suite empties that one.
    return "redis://127.0.0.1:6379/1"


def egisz(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "egisz"), "idp", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"egisz idp {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


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


def phones(count: int) -> list[str]:
    return [f"+7916{i:07d}" for i in range(count)]


def hashes_per_second(params: dict[str, int], seconds: float) -> float:
    """Argon2id on one thread, with the parameters the server uses (as Django calls it).

    Counted per second of this thread's CPU time, which equals wall time on an idle core
    and stays right when other processes share the machine."""
    hasher = PasswordHasher(
        time_cost=params["time_cost"],
        memory_cost=params["memory_cost"],
        parallelism=params["parallelism"],
        hash_len=32,
        salt_len=16,
    )
    hasher.hash(PASSWORD)
    done, start, cpu_start = 0, time.perf_counter(), time.thread_time()
    while time.perf_counter() - start < seconds:
        hasher.hash(PASSWORD)
        done += 1
    return done / (time.thread_time() - cpu_start)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class LoginFailed(Exception):
    pass


@dataclass
class Client:
    """One simulated person at a time: cookies of their own, a database connection to read
    the SMS the server queued (nothing is delivered during the bench)."""

    base: str
    database_url: str
    conn: psycopg.Connection = field(init=False)

    def __post_init__(self):
        self.conn = psycopg.connect(self.database_url, autocommit=True)

    def _opener(self):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        opener.addheaders = [("User-Agent", USER_AGENT), ("Accept-Language", "ru")]
        return opener

    @staticmethod
    def _call(opener, url: str, data: dict | None = None) -> tuple[int, str, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with opener.open(url, data=body, timeout=60) as response:
                return response.status, response.headers.get("Location", ""), response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers.get("Location", ""), error.read()

    def latest_code(self, phone: str) -> str:
        row = self.conn.execute(
            "SELECT body FROM outbox_message WHERE channel = 'sms' AND recipient = %s "
            "ORDER BY id DESC LIMIT 1",
            (phone,),
        ).fetchone()
        found = CODE.search(row[0]) if row else None
        if not found:
            raise LoginFailed("no SMS code queued")
        return found.group(1)

    def login(self, phone: str) -> None:
        opener = self._opener()
        status, _, page = self._call(opener, f"{self.base}/login/")
        token = CSRF_INPUT.search(page.decode())
        if status != 200 or not token:
            raise LoginFailed(f"GET /login/: {status}")
        form = {"csrfmiddlewaretoken": token.group(1), "next": "/"}
        status, location, _ = self._call(
            opener, f"{self.base}/login/", {**form, "identifier": phone, "password": PASSWORD}
        )
        if (status, location) != (302, "/login/code/"):
            raise LoginFailed(f"POST /login/: {status} {location}")
        code = self.latest_code(phone)
        status, location, _ = self._call(
            opener,
            f"{self.base}/login/code/",
            {"csrfmiddlewaretoken": token.group(1), "code": code},
        )
        if (status, location) != (302, "/"):
            raise LoginFailed(f"POST /login/code/: {status} {location}")


class Load:
    """Hands out each account once; records the latency of every full login. Its database
    connections open before the measurement starts, so their server processes are counted."""

    def __init__(self, base: str, database_url: str, accounts: list[str], concurrency: int):
        self.clients = [Client(base, database_url) for _ in range(concurrency)]
        self.concurrency = concurrency
        self._accounts = iter(accounts)
        self._lock = threading.Lock()
        self.latencies: list[float] = []
        self.failures: dict[str, int] = {}
        self.exhausted = False

    def _next(self) -> str | None:
        with self._lock:
            phone = next(self._accounts, None)
            self.exhausted = self.exhausted or phone is None
            return phone

    def run(self, *, seconds: float | None = None, count: int | None = None) -> float:
        deadline = time.monotonic() + seconds if seconds else None
        share = -(-count // self.concurrency) if count else None
        started = time.perf_counter()

        def worker(client: Client) -> None:
            done = 0
            while (deadline is None or time.monotonic() < deadline) and (
                share is None or done < share
            ):
                phone = self._next()
                if phone is None:
                    return
                begin = time.perf_counter()
                try:
                    client.login(phone)
                except (LoginFailed, OSError) as failure:
                    key = str(failure)[:80]
                    with self._lock:
                        self.failures[key] = self.failures.get(key, 0) + 1
                else:
                    with self._lock:
                        self.latencies.append(time.perf_counter() - begin)
                done += 1

        with ThreadPoolExecutor(self.concurrency) as pool:
            for future in [pool.submit(worker, client) for client in self.clients]:
                future.result()
        return time.perf_counter() - started

    def close(self) -> None:
        for client in self.clients:
            client.conn.close()


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


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (0 for those gone or unreadable)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / ticks, idle / ticks


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


def main() -> None:
    database_url = os.environ.get(
        "EGISZ_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/egisz_bench"
    )
    seconds = env_int("BENCH_SECONDS", 30)
    account_count = env_int("BENCH_ACCOUNTS", 4000)
    n_cores = cores()
    workers = env_int("BENCH_WORKERS", n_cores)
    concurrency = env_int("BENCH_CONCURRENCY", 2 * workers)
    hash_seconds = env_int("BENCH_HASH_SECONDS", 5)
    cache_url = redis_url()
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="egisz-bench-"))

    env = {k: v for k, v in os.environ.items() if not k.startswith("EGISZ_")}
    env.update(
        EGISZ_DEMO="0",
        EGISZ_SECRET_KEY=secrets.token_urlsafe(48),
        # Required outside demo; nothing is delivered (no worker runs).
        EGISZ_SMTP_HOST="127.0.0.1",
        EGISZ_HTTPS="0",
        EGISZ_IDP_DATABASE_URL=database_url,
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

    print(f"database {database_url} (recreated), cache {cache_url or 'database table'}")
    recreate_database(database_url)
    egisz(env, "migrate", "--no-input")
    egisz(env, "createcachetable")
    egisz(env, "collectstatic", "--no-input")
    if cache_url:
        egisz(
            env, "shell", "--no-imports", "-c", "from django.core.cache import cache; cache.clear()"
        )
    output = egisz(
        env,
        "shell",
        "--no-imports",
        "-c",
        CREATE_ACCOUNTS.format(password=PASSWORD, count=account_count),
    )
    params = json.loads(output.strip().splitlines()[-1])
    print(f"{account_count} accounts; Argon2id {params}")

    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "egisz.idp.wsgi",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--backlog=2048",
            "--timeout=120",
            "--no-control-socket",
            "--log-level=warning",
        ],
        env=env,
        cwd=data_dir,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server)
        accounts = phones(account_count)
        warmup = 4 * workers
        # Every worker loads its code, templates and database connection first.
        load = Load(base, database_url, accounts[:warmup], concurrency=workers)
        load.run(count=warmup)
        load.close()
        if load.failures:
            sys.exit(f"warm-up logins failed: {load.failures}")
        web_workers = proc_children(server.pid)

        print(f"Argon2id on one core for {hash_seconds} s …")
        hash_rate = hashes_per_second(params, hash_seconds)

        print(f"{seconds} s of logins, {concurrency} at a time, {workers} gunicorn workers …")
        load = Load(base, database_url, accounts[warmup:], concurrency=concurrency)
        postgres = postgres_pids(urllib.parse.urlsplit(database_url).path.lstrip("/"))
        redis = list(pids_named("redis-server"))
        before = {
            "web": cpu_seconds(web_workers),
            "postgres": cpu_seconds(postgres),
            "redis": cpu_seconds(redis),
            "bench": time.process_time(),
        }
        machine_before = machine_cpu_seconds()
        elapsed = load.run(seconds=seconds)
        used = {
            "web": cpu_seconds(web_workers) - before["web"],
            "postgres": cpu_seconds(postgres) - before["postgres"],
            "redis": cpu_seconds(redis) - before["redis"],
            "bench": time.process_time() - before["bench"],
        }
        machine_after = machine_cpu_seconds()
        busy = machine_after[0] - machine_before[0]
        # Anything else running on the machine (other tests, builds) competes for the cores.
        used["other processes"] = max(0.0, busy - sum(used.values()))
        used["idle"] = machine_after[1] - machine_before[1]
        peaks = [peak_rss_mib(pid) for pid in web_workers]
        load.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    report(
        n_cores=n_cores,
        workers=workers,
        load=load,
        elapsed=elapsed,
        hash_rate=hash_rate,
        used=used,
        peaks=peaks,
    )


def report(*, n_cores, workers, load, elapsed, hash_rate, used, peaks) -> None:
    logins = len(load.latencies)
    if not logins:
        sys.exit(f"no login succeeded: {load.failures}")
    rate = logins / elapsed
    per_core = rate / n_cores
    hash_ms = 1000 / hash_rate
    web_ms = used["web"] / logins * 1000
    # Everything a login costs on this machine, whatever else was running at the time.
    stack_ms = sum(used[k] for k in ("web", "postgres", "redis", "bench")) / logins * 1000
    failed = sum(load.failures.values())
    lines = [
        ("cores", f"{n_cores} (gunicorn workers: {workers}, logins in flight: {load.concurrency})"),
        ("full logins", f"{logins} in {elapsed:.1f} s, failed {failed}"),
        *((f"  failure × {count}", reason) for reason, count in load.failures.items()),
        *([("  note", "ran out of accounts: raise BENCH_ACCOUNTS")] if load.exhausted else []),
        ("logins/s", f"{rate:.1f} total, {per_core:.1f} per core"),
        (
            "login latency",
            f"p50 {statistics.median(load.latencies) * 1000:.0f} ms, "
            f"p95 {percentile(load.latencies, 0.95) * 1000:.0f} ms",
        ),
        ("Argon2id hashes/s, one core", f"{hash_rate:.1f} ({hash_ms:.1f} ms each)"),
        ("RATIO logins/s/core ÷ hashes/s/core", f"{per_core / hash_rate:.0%} (goal ≥ 80%)"),
        (
            "CPU seconds during the load",
            ", ".join(f"{k} {v:.1f}" for k, v in used.items()) + f" (of {elapsed * n_cores:.1f})",
        ),
        ("CPU per login, web workers", f"{web_ms:.1f} ms → ratio {hash_ms / web_ms:.0%}"),
        (
            "CPU per login, whole stack",
            f"{stack_ms:.1f} ms (web + PostgreSQL + Redis + load generator) "
            f"→ ratio {hash_ms / stack_ms:.0%}",
        ),
        (
            "peak RSS per web worker",
            f"{', '.join(f'{p:.0f}' for p in peaks)} MiB (goal < 150 MB)",
        ),
    ]
    if used["other processes"] > 0.1 * elapsed * n_cores:
        lines.append(
            (
                "  note",
                "other processes used the cores during the load: logins/s is low; "
                "the CPU-per-login lines much less so",
            )
        )
    print()
    for label, value in lines:
        print(f"{label:38s}{value}")


if __name__ == "__main__":
    main()
