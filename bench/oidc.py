"""OpenID Connect throughput: token-endpoint exchanges (code → access, refresh and signed ID
token), refresh-token rotations and UserInfo requests per second per core, against the IdP
served the production way (gunicorn, PostgreSQL, Redis, EGISZ_DEMO=0). See bench/README.md.

Run with `make bench-oidc`. Configuration (environment):
  EGISZ_BENCH_DATABASE_URL  PostgreSQL database to drop and recreate
                            (default postgres://postgres@127.0.0.1:5432/egisz_bench_oidc)
  EGISZ_BENCH_REDIS_URL     cache for the server (default redis://127.0.0.1:6379/2 when Redis
                            answers there, else the database cache); "none" for the latter
  BENCH_SECONDS             measured duration of each kind of request (default 20)
  BENCH_WORKERS             gunicorn workers (default: the number of cores)
  BENCH_CONCURRENCY         requests in flight (default: 2 × workers)
  BENCH_CLIENTS             the clients measured: "confidential public" (default), or one
  BENCH_ALGORITHM           the clients' ID-token signature, RS256 (default) or ES256
  BENCH_SESSIONS            logged-in citizens whose browsers ask for the codes (default 32)

Authorization codes are asked for the way a relying party gets them: a logged-in citizen's
browser (the standard-library client with the session cookie, consent given once per
citizen) calls /oidc/authorize/ with state, nonce and PKCE S256, and the code is read from
the redirect. Codes live 60 seconds, so they are made in batches just before each measured
round (at most 25 seconds' worth), and only the exchanges are measured.
"""

import base64
import hashlib
import json
import os
import platform
import secrets
import statistics
import sys
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import psycopg

from harness import (
    DEFAULT_DATABASE_URL,
    Client,
    CpuMeter,
    LoginFailed,
    api_client,
    call,
    cores,
    create_accounts,
    database_name,
    egisz,
    env_int,
    free_port,
    new_data_dir,
    opener,
    peak_rss_mib,
    percentile,
    phones,
    prepare_database,
    proc_children,
    redis_url,
    server_env,
    start_gunicorn,
    stop_server,
    wait_healthy,
    with_database,
)

SCOPE = "openid fullname birthdate offline_access"  # offline_access: refresh tokens
# Never visited: the bench reads the code from the authorization endpoint's redirect (https:
# production allows no other scheme).
REDIRECT_URI = "https://rp.bench.invalid/cb"
# A code waits at most this long between its issue and its exchange (they live 60 s).
MAX_CODE_AGE = 25.0


class BenchError(Exception):
    pass


@dataclass
class RegisteredClient:
    kind: str  # "confidential" or "public"
    client_id: str
    client_secret: str | None

    def auth_header(self) -> dict[str, str]:
        if not self.client_secret:
            return {}
        pair = f"{urllib.parse.quote(self.client_id)}:{urllib.parse.quote(self.client_secret)}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    def form(self, **values: str) -> dict[str, str]:
        # A public client names itself in the body; a confidential one authenticates with
        # client_secret_basic.
        return values if self.client_secret else {"client_id": self.client_id, **values}


@dataclass
class Code:
    code: str
    verifier: str
    issued: float


class ConsentForm(HTMLParser):
    """The form on the consent screen that has the «Подтвердить» button: its action and the
    fields a browser would send when the agreement box is ticked and that button pressed."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "fields": {}, "submit": None}
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in ("hidden", "text"):
                self._form["fields"][attrs["name"]] = attrs.get("value") or ""
            elif kind == "checkbox":
                self._form["fields"][attrs["name"]] = attrs.get("value") or "on"
        elif self._form is not None and tag == "button":
            self._button = attrs
            self._button["text"] = ""

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            if "Подтвердить" in self._button["text"] and self._form is not None:
                self._form["submit"] = self._button
            self._button = None
        elif tag == "form":
            self._form = None

    def agree(self) -> tuple[str, dict[str, str]]:
        for form in self.forms:
            if form["submit"] is not None:
                fields = dict(form["fields"])
                if form["submit"].get("name"):
                    fields[form["submit"]["name"]] = form["submit"].get("value") or ""
                return form["action"], fields
        raise BenchError("no form with «Подтвердить» on the consent screen")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Citizen:
    """A logged-in browser that asks the authorization endpoint for codes."""

    def __init__(self, session, endpoint: str, base: str):
        self.session = session
        self.endpoint = endpoint
        self.base = base

    def authorize_url(self, client: RegisteredClient, challenge: str) -> str:
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": client.client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": SCOPE,
                "state": secrets.token_urlsafe(12),
                "nonce": secrets.token_urlsafe(12),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.endpoint}?{query}"

    def code(self, client: RegisteredClient) -> Code:
        verifier, challenge = pkce_pair()
        url = self.authorize_url(client, challenge)
        status, location, body = call(self.session, url)
        if status == 200:
            # The consent screen (the first time this citizen meets this client).
            action, fields = self._consent_form(body)
            target = urllib.parse.urljoin(url, action) if action else url
            status, location, body = call(self.session, target, fields, {"Referer": url})
        if status != 302 or not location.startswith(REDIRECT_URI):
            raise BenchError(f"authorize: {status} {location[:120]}")
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        if "code" not in query:
            raise BenchError(f"authorize: {location[:160]}")
        return Code(query["code"], verifier, time.monotonic())

    @staticmethod
    def _consent_form(body: bytes) -> tuple[str, dict[str, str]]:
        parser = ConsentForm()
        parser.feed(body.decode(errors="replace"))
        return parser.agree()


@dataclass
class Round:
    """Counts, latencies and failures of one kind of request."""

    name: str
    done: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    meter: CpuMeter | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, latency: float) -> None:
        with self.lock:
            self.done += 1
            self.latencies.append(latency)

    def failed(self, reason: str) -> None:
        with self.lock:
            self.failures[reason[:100]] = self.failures.get(reason[:100], 0) + 1


def run_parallel(concurrency: int, work: Callable[[int], None]) -> float:
    """Runs work(worker_index) on ``concurrency`` threads; returns the wall time."""
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(work, i) for i in range(concurrency)]:
            future.result()
    return time.perf_counter() - started


class Bench:
    def __init__(self, base: str, metadata: dict, concurrency: int, citizens: list[Citizen]):
        self.base = base
        self.metadata = metadata
        self.concurrency = concurrency
        self.citizens = citizens
        self.token_endpoint = metadata["token_endpoint"]
        self.userinfo_endpoint = metadata["userinfo_endpoint"]
        # A server-to-server client: no cookies.
        self.client = api_client()

    # Requests ------------------------------------------------------------------------------

    def _token(self, client: RegisteredClient, form: dict[str, str]) -> dict:
        status, _, body = call(
            self.client, self.token_endpoint, client.form(**form), client.auth_header()
        )
        if status != 200:
            raise BenchError(f"token {form['grant_type']}: {status} {body[:120]!r}")
        return json.loads(body)

    def exchange(self, client: RegisteredClient, code: Code) -> dict:
        tokens = self._token(
            client,
            {
                "grant_type": "authorization_code",
                "code": code.code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": code.verifier,
            },
        )
        if not tokens.get("id_token") or tokens["id_token"].count(".") != 2:
            raise BenchError("token response without a signed ID token")
        return tokens

    def refresh(self, client: RegisteredClient, refresh_token: str) -> dict:
        return self._token(client, {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def userinfo(self, access_token: str) -> None:
        status, _, body = call(
            self.client, self.userinfo_endpoint, None, {"Authorization": f"Bearer {access_token}"}
        )
        if status != 200 or b'"sub"' not in body:
            raise BenchError(f"userinfo: {status} {body[:120]!r}")

    # Codes ---------------------------------------------------------------------------------

    def make_codes(self, client: RegisteredClient, count: int) -> tuple[list[Code], float]:
        """``count`` codes from the citizens' browsers; returns them (oldest first) and the
        rate they were made at. Each thread has citizens of its own (no shared session)."""
        codes: list[Code] = []
        lock = threading.Lock()
        share = -(-count // self.concurrency)
        errors: list[str] = []

        def work(index: int) -> None:
            mine = self.citizens[index :: self.concurrency] or self.citizens
            for n in range(share):
                try:
                    made = mine[n % len(mine)].code(client)
                except (BenchError, OSError) as error:
                    errors.append(str(error))
                    return
                with lock:
                    codes.append(made)

        elapsed = run_parallel(self.concurrency, work)
        if errors and not codes:
            raise BenchError(f"no authorization code: {errors[0]}")
        codes.sort(key=lambda c: c.issued)
        return codes[:count], len(codes) / elapsed

    # Measured rounds -----------------------------------------------------------------------

    def measure(self, round_: Round, items: deque, job: Callable, seconds: float | None) -> None:
        """Runs ``job(item)`` over ``items`` (taken in order) for ``seconds`` or until they run
        out, counting successes, latencies and CPU."""
        lock = threading.Lock()
        deadline = time.monotonic() + seconds if seconds else None

        def work(_index: int) -> None:
            while deadline is None or time.monotonic() < deadline:
                with lock:
                    if not items:
                        return
                    item = items.popleft()
                begin = time.perf_counter()
                try:
                    job(item)
                except (BenchError, OSError, ValueError) as error:
                    round_.failed(str(error))
                else:
                    round_.ok(time.perf_counter() - begin)

        round_.meter.start()
        round_.elapsed += run_parallel(self.concurrency, work)
        round_.meter.stop()

    def exchanges(self, client: RegisteredClient, seconds: float, meter: CpuMeter):
        """Code → tokens for ``seconds`` of measured time; returns the round and the
        tokens (refresh and access) the exchanges gave."""
        round_ = Round(f"code exchanges, {client.kind} client", meter=meter)
        tokens: list[dict] = []
        # A first small batch tells how fast codes are made and exchanged.
        batch = 4 * self.concurrency
        while round_.elapsed < seconds:
            codes, made_per_s = self.make_codes(client, batch)
            rate_made = made_per_s
            queue = deque(codes)
            before, elapsed_before = round_.done, round_.elapsed

            def job(code: Code) -> None:
                if time.monotonic() - code.issued > 55:
                    raise BenchError("code older than 55 s (bench too slow)")
                tokens.append(self.exchange(client, code))

            self.measure(round_, queue, job, seconds=None)
            round_elapsed = round_.elapsed - elapsed_before
            rate_used = (round_.done - before) / round_elapsed if round_elapsed else 1.0
            remaining = seconds - round_.elapsed
            batch = int(
                min(
                    max(rate_used, 1.0) * remaining + self.concurrency,
                    MAX_CODE_AGE * min(rate_made, max(rate_used, 1.0)),
                )
            )
            batch = max(batch, self.concurrency)
            if round_.done == before:
                break  # nothing succeeds: stop, the failures say why
        return round_, tokens

    def refreshes(
        self, client: RegisteredClient, chains: list[str], seconds: float, meter: CpuMeter
    ) -> tuple[Round, list[str]]:
        """Refresh-token rotations for ``seconds``: each chain's newest refresh token is
        used once and replaced by the one it returns. Returns the round and the newest access
        token of every chain."""
        round_ = Round(f"refresh rotations, {client.kind} client", meter=meter)
        queue = deque(range(len(chains)))
        access: dict[int, str] = {}

        def job(index: int) -> None:
            tokens = self.refresh(client, chains[index])
            chains[index] = tokens["refresh_token"]
            access[index] = tokens["access_token"]
            queue.append(index)  # the chain goes to the back of the line

        self.measure(round_, queue, job, seconds)
        return round_, list(access.values())

    def userinfos(self, access_tokens: list[str], seconds: float, meter: CpuMeter) -> Round:
        round_ = Round("UserInfo requests", meter=meter)
        queue = deque(access_tokens)

        def job(token: str) -> None:
            self.userinfo(token)
            queue.append(token)

        self.measure(round_, queue, job, seconds)
        return round_


def register_clients(env: dict[str, str], kinds: list[str], algorithm: str) -> list:
    clients = []
    for kind in kinds:
        args = ["--name", f"Нагрузочный клиент ({kind})", "--redirect-uri", REDIRECT_URI]
        args += ["--scopes", SCOPE, "--algorithm", algorithm]
        if kind == "public":
            args.append("--public")
        output = egisz(env, "create-client", *args)
        data = json.loads(output.strip().splitlines()[-1])
        clients.append(RegisteredClient(kind, data["client_id"], data["client_secret"]))
    return clients


def log_in_citizens(base: str, database_url: str, endpoint: str, count: int) -> list[Citizen]:
    accounts = phones(count)
    citizens: list[Citizen] = []
    failures: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        client = Client(base, database_url)
        try:
            for phone in accounts[index::8]:
                try:
                    session = client.login(phone)
                except (LoginFailed, OSError) as error:
                    failures.append(str(error))
                    continue
                with lock:
                    citizens.append(Citizen(session, endpoint, base))
        finally:
            client.close()

    run_parallel(8, work)
    if not citizens:
        raise BenchError(f"no citizen could log in: {failures[:3]}")
    return citizens


def main() -> None:
    # A database and a Redis database of their own by default: bench-login recreates and
    # empties the ones it uses.
    database_url = os.environ.get(
        "EGISZ_BENCH_DATABASE_URL", with_database(DEFAULT_DATABASE_URL, "egisz_bench_oidc")
    )
    seconds = env_int("BENCH_SECONDS", 20)
    n_cores = cores()
    workers = env_int("BENCH_WORKERS", n_cores)
    concurrency = env_int("BENCH_CONCURRENCY", 2 * workers)
    sessions = env_int("BENCH_SESSIONS", 32)
    kinds = (os.environ.get("BENCH_CLIENTS") or "confidential public").split()
    algorithm = os.environ.get("BENCH_ALGORITHM") or "RS256"
    cache_url = redis_url(db=2)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data_dir = new_data_dir()
    env = server_env(
        database_url=database_url,
        cache_url=cache_url,
        data_dir=data_dir,
        extra={"EGISZ_IDP_ISSUER": base},
    )

    print(f"database {database_url} (recreated), cache {cache_url or 'database table'}")
    prepare_database(env, database_url, cache_url)
    create_accounts(env, sessions)
    clients = register_clients(env, kinds, algorithm)
    print(f"{sessions} accounts; clients: {', '.join(kinds)} ({algorithm})")

    server = start_gunicorn(env, workers=workers, port=port, data_dir=data_dir)
    rounds: list[Round] = []
    try:
        wait_healthy(base, server)
        status, _, body = call(opener(), f"{base}/.well-known/openid-configuration")
        if status != 200:
            sys.exit(f"discovery: {status} {body[:200]!r}")
        metadata = json.loads(body)
        citizens = log_in_citizens(base, database_url, metadata["authorization_endpoint"], sessions)
        print(f"{len(citizens)} citizens logged in")
        bench = Bench(base, metadata, concurrency, citizens)

        # Warm-up: every worker loads its code, keys and connections; consent is given once
        # per citizen and client here.
        for client in clients:
            for citizen in citizens:
                citizen.code(client)
            codes, _ = bench.make_codes(client, 4 * workers)
            for code in codes:
                tokens = bench.exchange(client, code)
                bench.refresh(client, tokens["refresh_token"])
        web_workers = proc_children(server.pid)
        database = database_name(database_url)

        print(f"{seconds} s of each, {concurrency} in flight, {workers} gunicorn workers …")
        chains: dict[str, list[str]] = {}
        for client in clients:
            round_, tokens = bench.exchanges(client, seconds, CpuMeter(web_workers, database))
            rounds.append(round_)
            chains[client.kind] = [t["refresh_token"] for t in tokens]
            print(f"  {round_.name}: {round_.done}")
        access_tokens: list[str] = []
        for client in clients:
            round_, access = bench.refreshes(
                client, chains[client.kind], seconds, CpuMeter(web_workers, database)
            )
            rounds.append(round_)
            access_tokens += access
            print(f"  {round_.name}: {round_.done}")
        round_ = bench.userinfos(access_tokens, seconds, CpuMeter(web_workers, database))
        rounds.append(round_)
        print(f"  {round_.name}: {round_.done}")
        peaks = [peak_rss_mib(pid) for pid in web_workers]
    finally:
        stop_server(server)

    report(n_cores=n_cores, workers=workers, concurrency=concurrency, rounds=rounds, peaks=peaks)
    if os.environ.get("BENCH_WRITE_README", "1") != "0":
        settings = {
            "BENCH_SECONDS": seconds,
            "BENCH_WORKERS": workers,
            "BENCH_CONCURRENCY": concurrency,
            "BENCH_ALGORITHM": algorithm,
        }
        write_readme(
            rounds=rounds,
            n_cores=n_cores,
            settings=settings,
            cache=cache_url or "database table",
            database_url=database_url,
            peaks=peaks,
        )


def figures(round_: Round, n_cores: int) -> dict:
    rate = round_.done / round_.elapsed
    used = round_.meter.used
    return {
        "rate": rate,
        "per_core": rate / n_cores,
        "p50": statistics.median(round_.latencies) * 1000,
        "p95": percentile(round_.latencies, 0.95) * 1000,
        "web_ms": used["web"] / round_.done * 1000,
        "stack_ms": round_.meter.stack() / round_.done * 1000,
        "failed": sum(round_.failures.values()),
        # Share of the machine's CPU that other processes took during the round.
        "others": used["other processes"] / (round_.elapsed * n_cores),
    }


def report(*, n_cores, workers, concurrency, rounds, peaks) -> None:
    print()
    print(
        f"{'cores':38s}{n_cores} (gunicorn workers: {workers}, requests in flight: {concurrency})"
    )
    for round_ in rounds:
        if not round_.done:
            print(f"{round_.name:38s}none succeeded: {round_.failures}")
            continue
        f = figures(round_, n_cores)
        rate, web_ms, stack_ms, failed = f["rate"], f["web_ms"], f["stack_ms"], f["failed"]
        used = round_.meter.used
        print(
            f"{round_.name:38s}{rate:.1f}/s total, {rate / n_cores:.1f}/s per core "
            f"({round_.done} in {round_.elapsed:.1f} s, failed {failed})"
        )
        for reason, count in round_.failures.items():
            print(f"{'  failure × ' + str(count):38s}{reason}")
        print(f"{'  latency':38s}p50 {f['p50']:.1f} ms, p95 {f['p95']:.1f} ms")
        print(
            f"{'  CPU per request':38s}web workers {web_ms:.1f} ms, whole stack "
            f"{stack_ms:.1f} ms → {1000 / stack_ms:.0f}/s per busy core"
        )
        print(f"{'  CPU seconds':38s}" + ", ".join(f"{k} {v:.1f}" for k, v in used.items()))
        if used["other processes"] > 0.1 * round_.elapsed * n_cores:
            print(
                f"{'  note':38s}other processes used the cores: the rate is low; "
                "the CPU-per-request line much less so"
            )
    print(f"{'peak RSS per web worker':38s}{', '.join(f'{p:.0f}' for p in peaks)} MiB")


README = Path(__file__).with_name("README.md")
BEGIN = "<!-- bench-oidc: latest figures, written by bench/oidc.py -->"
END = "<!-- /bench-oidc -->"


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().split()[1]
    return f"{cores()} cores ({model}), {int(memory) / 1024 / 1024:.0f} GB RAM"


def write_readme(*, rounds, n_cores, settings, cache, database_url, peaks) -> None:
    """Replaces the block between BEGIN and END in bench/README.md with these figures."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    others = max((figures(r, n_cores)["others"] for r in rounds if r.done), default=0)
    lines = [
        BEGIN,
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `make bench-oidc` "
        f"({', '.join(f'{k}={v}' for k, v in settings.items())}), {machine()}, "
        f"PostgreSQL {postgres}, cache {cache}, Python {platform.python_version()}; "
        f"other processes took up to {others:.0%} of the CPU during a round.",
        "",
        "| requests | per second (per core) | p50 / p95 | CPU per request: web / whole "
        "stack | per busy core, from CPU | failed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for round_ in rounds:
        if not round_.done:
            lines.append(f"| {round_.name} | none succeeded | | | | all |")
            continue
        f = figures(round_, n_cores)
        lines.append(
            f"| {round_.name} | {f['rate']:.1f} ({f['per_core']:.1f}) "
            f"| {f['p50']:.0f} / {f['p95']:.0f} ms | {f['web_ms']:.1f} / {f['stack_ms']:.1f} ms "
            f"| {1000 / f['stack_ms']:.0f}/s | {f['failed']} |"
        )
    lines += ["", f"Peak RSS per web worker: {', '.join(f'{p:.0f}' for p in peaks)} MiB.", "", END]
    text = README.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + "\n".join(lines) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    README.write_text(text)
    print(f"\nfigures written to {README}")


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        sys.exit(f"bench-oidc: {error}")
