"""Cabinet pages: «Главная» (GET /) and «Личные данные» (GET /personal/) per second, with
their latency, for many logged-in patients at once, against both sites served the
production way (gunicorn, PostgreSQL, Redis, EGISZ_DEMO=0). See bench/README.md.

Run with `make bench-cabinet`. Configuration (environment):
  EGISZ_BENCH_IDP_DATABASE_URL      the IdP's database, dropped and recreated (default
                                    postgres://postgres@127.0.0.1:5432/egisz_bench_cabinet_idp)
  EGISZ_BENCH_CABINET_DATABASE_URL  the cabinet's, likewise (default …/egisz_bench_cabinet)
  EGISZ_BENCH_REDIS_URL             one Redis database for both sites (their keys carry a
                                    prefix per site); default redis://127.0.0.1:6379/3 for the
                                    IdP and /4 for the cabinet when Redis answers; "none" for
                                    the database cache
  BENCH_PATIENTS                    logged-in patients, one client thread each (default 50)
  BENCH_SECONDS                     measured duration per page (default 20)
  BENCH_WARMUP_SECONDS              warm-up per page before it is measured (default 3)
  BENCH_WORKERS                     the cabinet's gunicorn workers (default: the cores)
  BENCH_IDP_WORKERS                 the IdP's gunicorn workers (default: the cores)
  BENCH_THREADS                     threads per gunicorn worker of both sites (default 1:
                                    sync workers, as the other benches)
  BENCH_GRANT_CHECKS                the EGISZ_CABINET_GRANT_CHECK_SECONDS values measured,
                                    one after the other (default "0 60")

The patients log in the way a browser does, through the cabinet's real OpenID Connect
login: /sso/login/ → the IdP's /oidc/authorize/ → its login page, password, the SMS code
(read from the IdP's outbox table), the consent screen («Подтвердить») → the cabinet's
/sso/callback/. Each patient's client keeps one cookie jar for both sites.

Outside demo mode the IdP accepts only https redirect URIs, so the cabinet's public address
(EGISZ_CABINET_URL, from which it builds its redirect URI) is https://127.0.0.1:<port>;
the bench's client plays the TLS-terminating proxy that production has in front and sends
those requests to the same port over plain HTTP (EGISZ_HTTPS=0, as the other benches).
"""

import json
import os
import platform
import re
import statistics
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from harness import (
    CSRF_INPUT,
    DEFAULT_DATABASE_URL,
    PASSWORD,
    CpuMeter,
    call,
    cores,
    database_name,
    egisz,
    env_int,
    free_port,
    latest_sms_code,
    new_data_dir,
    opener,
    peak_rss_mib,
    percentile,
    prepare_database,
    proc_children,
    redis_url,
    server_env,
    shell,
    start_gunicorn,
    stop_server,
    wait_healthy,
    with_database,
)
from oidc import ConsentForm

SCOPES = "openid fullname birthdate snils inn mobile email"
PAGES = (("«Главная»", "/"), ("«Личные данные»", "/personal/"))


class BenchError(Exception):
    pass


# --- Data ---------------------------------------------------------------------------------------

# Runs inside `egisz idp shell`: confirmed accounts with СНИЛС, ИНН, e-mail and phone, all
# with one password hash (setup only; each login still verifies it with Argon2id).
CREATE_CITIZENS = """
import json
from datetime import date
from django.contrib.auth.hashers import make_password
from egisz.common.identifiers import INN12_WEIGHTS_1, INN12_WEIGHTS_2, snils_checksum
from egisz.idp.accounts.models import Account, Level

def inn(i):
    digits = f"77{{i:08d}}"
    for weights in (INN12_WEIGHTS_1, INN12_WEIGHTS_2):
        digits += str(sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10)
    return digits

password_hash = make_password({password!r})
citizens = []
for i in range({count}):
    nine = f"{{200000000 + 7919 * i:09d}}"
    citizens.append(Account(
        phone=f"+7917{{i:07d}}", password=password_hash, level=Level.CONFIRMED,
        last_name="Нагрузкина", first_name="Вера", middle_name="Павловна",
        birth_date=date(1980, 1, 1 + i % 28), snils=nine + f"{{snils_checksum(nine):02d}}",
        inn=inn(i), email=f"patient{{i}}@bench.invalid", email_confirmed=True,
    ))
Account.objects.bulk_create(citizens, batch_size=1000)
print(json.dumps([[a.phone, a.snils] for a in citizens]))
"""

# Runs inside `egisz cabinet shell`: what the profile form would have added (place of work,
# the registration address) and the profile marked complete, so the pages are the full ones.
COMPLETE_PROFILES = """
from django.utils import timezone
from egisz.cabinet.patients.models import Address, Patient
patients = list(Patient.objects.all())
Patient.objects.update(workplace="ООО «Нагрузка»", profile_completed_at=timezone.now())
Address.objects.bulk_create(
    [Address(patient=p, kind="registration", postcode="101000", region="г. Москва",
             city="Москва", street="ул. Мясницкая", house="1", flat=str(p.pk)) for p in patients],
    ignore_conflicts=True,
)
print(len(patients))
"""

# Runs inside `egisz cabinet shell` while both servers are up: the SQL statements and the
# time of each page, in-process with Django's test client, for one patient whose session
# carries their grant and provider-session link (so the back-channel logout's check and the
# grant check run as in the measured requests).
COUNT_QUERIES = """
import json, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from egisz.cabinet.sso.models import ProviderGrant
from egisz.cabinet.sso.session import GRANT_KEY, LINK_KEY
grant = ProviderGrant.objects.select_related("user", "session_link").order_by("pk").first()
client = Client()
client.force_login(grant.user)
session = client.session
session[GRANT_KEY] = grant.pk
session[LINK_KEY] = grant.session_link.pk
session.save()
result = {{}}
for path in {paths!r}:
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
    result[path] = {{
        "status": response.status_code,
        "queries": len(captured),
        "ms": round(elapsed * 1000, 1),
        "sql": [q["sql"][:160] for q in captured.captured_queries],
    }}
print(json.dumps(result, ensure_ascii=False))
"""


def create_citizens(env: dict[str, str], count: int) -> list[tuple[str, str]]:
    """(phone, СНИЛС) of ``count`` confirmed citizens at the IdP."""
    output = shell(env, CREATE_CITIZENS.format(password=PASSWORD, count=count))
    return [tuple(pair) for pair in json.loads(output.strip().splitlines()[-1])]


def format_snils(digits: str) -> str:
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


# --- The browser --------------------------------------------------------------------------------


@dataclass
class Patient:
    phone: str
    snils: str
    session: object = None  # the logged-in client (its cookie jar covers both sites)


class Browser:
    """Logs patients in through the cabinet's OpenID Connect login, following redirects the
    way a browser does (the bench reads each one), filling in the IdP's forms."""

    def __init__(self, *, cabinet: str, public_cabinet: str, idp_database_url: str):
        self.cabinet = cabinet
        self.public_cabinet = public_cabinet
        self.conn = psycopg.connect(idp_database_url, autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def _local(self, url: str) -> str:
        """The TLS-terminating proxy: the cabinet's https address → its plain HTTP port."""
        if url.startswith(self.public_cabinet):
            return self.cabinet + url[len(self.public_cabinet) :]
        return url

    def _code(self, phone: str) -> str:
        code = latest_sms_code(self.conn, phone)
        if code is None:
            raise BenchError(f"no SMS code queued for {phone}")
        return code

    def log_in(self, patient: Patient) -> None:
        session = opener()
        url, data, headers = f"{self.cabinet}/sso/login/", None, {}
        steps = []
        for _ in range(20):
            status, location, body = call(session, url, data, headers)
            steps.append(f"{status} {urllib.parse.urlsplit(url).path}")
            data, headers = None, {}
            if status in (301, 302, 303):
                url = self._local(urllib.parse.urljoin(url, location))
                continue
            if status != 200:
                raise BenchError(f"login of {patient.phone}: {' → '.join(steps)}")
            page = body.decode(errors="replace")
            path = urllib.parse.urlsplit(url).path
            if url.startswith(self.cabinet) and not path.startswith("/sso/"):
                # Back at the cabinet after the callback (the profile form, the first time).
                if "site-header__person" not in page:
                    raise BenchError(f"login of {patient.phone}: not logged in at {path}")
                patient.session = session
                return
            token = CSRF_INPUT.search(page)
            if 'name="password"' in page and token:
                # The IdP's login page: phone and password (the form carries `next`).
                action, fields = form_fields(page, 'name="password"')
                fields.update(identifier=patient.phone, password=PASSWORD)
            elif 'name="code"' in page and token:
                action, fields = form_fields(page, 'name="code"')
                fields["code"] = self._code(patient.phone)
            elif "Подтвердить" in page:
                parser = ConsentForm()
                parser.feed(page)
                action, fields = parser.agree()
            else:
                raise BenchError(f"login of {patient.phone}: unexpected page at {url}")
            headers = {"Referer": url}
            url, data = urllib.parse.urljoin(url, action or url), fields
        raise BenchError(f"login of {patient.phone}: too many steps: {' → '.join(steps)}")


def form_fields(page: str, marker: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the form on ``page`` that contains ``marker``."""
    for chunk in re.findall(r"<form\b.*?</form>", page, flags=re.S):
        if marker in chunk:
            # ConsentForm's parser keeps every form's action and its hidden, text and
            # checkbox fields.
            parser = ConsentForm()
            parser.feed(chunk)
            form = parser.forms[0]
            return form["action"], dict(form["fields"])
    raise BenchError(f"no form with {marker}")


def log_in_all(browser_args: dict, patients: list[Patient], parallel: int = 8) -> float:
    """Logs every patient in (``parallel`` at a time); returns the wall time."""
    errors: list[str] = []

    def work(index: int) -> None:
        browser = Browser(**browser_args)
        try:
            for patient in patients[index::parallel]:
                try:
                    browser.log_in(patient)
                except (BenchError, OSError) as error:
                    errors.append(str(error))
        finally:
            browser.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        for future in [pool.submit(work, i) for i in range(parallel)]:
            future.result()
    if errors:
        raise BenchError(f"{len(errors)} logins failed, e.g. {errors[0]}")
    return time.perf_counter() - started


# --- Measuring ----------------------------------------------------------------------------------


@dataclass
class Round:
    name: str
    path: str
    done: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    meter: CpuMeter | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, latency: float, error: str | None) -> None:
        with self.lock:
            if error:
                self.errors[error] = self.errors.get(error, 0) + 1
            else:
                self.done += 1
                self.latencies.append(latency)


def fetch(base: str, patient: Patient, path: str) -> str | None:
    """One page view; None when it is the full page for this patient, else what went
    wrong (any status but 200 is an error, and so is a 200 that is not the patient's page)."""
    try:
        status, location, body = call(patient.session, base + path)
    except OSError as error:
        return f"{type(error).__name__}: {error}"[:100]
    if status != 200:
        return f"HTTP {status} {location}"[:100]
    page = body.decode(errors="replace")
    if "site-header__person" not in page:
        return "200 without the patient's header (not logged in?)"
    if path == "/" and 'class="panels"' not in page:
        return "200 without the panels of «Главная»"
    if path == "/personal/" and format_snils(patient.snils) not in page:
        return "200 without the patient's СНИЛС"
    return None


def load(
    base: str, patients: list[Patient], path: str, seconds: float, round_: Round | None
) -> None:
    """Every patient's client asks for ``path`` again and again for ``seconds``, one request
    at a time (a new one as soon as the last one answered)."""
    deadline = time.monotonic() + seconds

    def work(patient: Patient) -> None:
        while time.monotonic() < deadline:
            begin = time.perf_counter()
            error = fetch(base, patient, path)
            if round_ is not None:
                round_.record(time.perf_counter() - begin, error)
            elif error:
                raise BenchError(f"warm-up {path}: {error}")

    started = time.perf_counter()
    with ThreadPoolExecutor(len(patients)) as pool:
        for future in [pool.submit(work, p) for p in patients]:
            future.result()
    if round_ is not None:
        round_.elapsed += time.perf_counter() - started


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Configuration:
    grant_check: int
    rounds: list[Round]
    cabinet_workers: list[int]
    rss: list[float]
    peaks: list[float]
    queries: dict


# --- Servers ------------------------------------------------------------------------------------


class Sites:
    """Both sites on their recreated databases; the cabinet can be restarted with another
    EGISZ_CABINET_GRANT_CHECK_SECONDS (same secret key, database and Redis: sessions and
    the encrypted grants survive the restart)."""

    def __init__(self):
        default_idp = with_database(DEFAULT_DATABASE_URL, "egisz_bench_cabinet_idp")
        default_cabinet = with_database(DEFAULT_DATABASE_URL, "egisz_bench_cabinet")
        self.idp_database_url = os.environ.get("EGISZ_BENCH_IDP_DATABASE_URL", default_idp)
        self.cabinet_database_url = os.environ.get(
            "EGISZ_BENCH_CABINET_DATABASE_URL", default_cabinet
        )
        n_cores = cores()
        self.workers = env_int("BENCH_WORKERS", n_cores)
        self.idp_workers = env_int("BENCH_IDP_WORKERS", n_cores)
        self.threads = env_int("BENCH_THREADS", 1)
        # Not the Redis databases of bench-login (1), bench-oidc (2) or the tests (0).
        self.idp_cache = redis_url(db=3)
        self.cabinet_cache = redis_url(db=4)
        self.idp_port, self.cabinet_port = free_port(), free_port()
        self.idp_url = f"http://127.0.0.1:{self.idp_port}"
        self.cabinet_url = f"http://127.0.0.1:{self.cabinet_port}"
        self.public_cabinet_url = f"https://127.0.0.1:{self.cabinet_port}"
        self.idp_env = server_env(
            database_url=self.idp_database_url,
            cache_url=self.idp_cache,
            data_dir=new_data_dir(),
            extra={"EGISZ_IDP_ISSUER": self.idp_url},
        )
        self.cabinet_data_dir = new_data_dir()
        self.cabinet_env = server_env(
            database_url=self.cabinet_database_url,
            cache_url=self.cabinet_cache,
            data_dir=self.cabinet_data_dir,
            site="cabinet",
            extra={
                "EGISZ_CABINET_OIDC_ISSUER": self.idp_url,
                "EGISZ_CABINET_URL": self.public_cabinet_url,
                "EGISZ_CABINET_IDP_ACCOUNT_URL": self.idp_url,
                "EGISZ_CABINET_PORT": str(self.cabinet_port),
            },
        )
        self.idp = None
        self.cabinet = None

    def prepare(self, patients: int) -> list[tuple[str, str]]:
        prepare_database(self.idp_env, self.idp_database_url, self.idp_cache)
        citizens = create_citizens(self.idp_env, patients)
        output = egisz(
            self.idp_env,
            "create-client",
            "--name",
            "ЕГИСЗ",
            "--redirect-uri",
            f"{self.public_cabinet_url}/sso/callback/",
            "--post-logout-uri",
            f"{self.public_cabinet_url}/",
            "--scopes",
            SCOPES,
            "--always-refresh-tokens",
        )
        client = json.loads(output.strip().splitlines()[-1])
        self.cabinet_env.update(
            EGISZ_CABINET_OIDC_CLIENT_ID=client["client_id"],
            EGISZ_CABINET_OIDC_CLIENT_SECRET=client["client_secret"],
        )
        prepare_database(
            self.cabinet_env, self.cabinet_database_url, self.cabinet_cache, site="cabinet"
        )
        return citizens

    def start_idp(self) -> None:
        self.idp = start_gunicorn(
            self.idp_env,
            workers=self.idp_workers,
            port=self.idp_port,
            data_dir=Path(self.idp_env["EGISZ_DATA_DIR"]),
            threads=self.threads,
        )
        wait_healthy(self.idp_url, self.idp)

    def start_cabinet(self, grant_check: int) -> None:
        self.cabinet_env["EGISZ_CABINET_GRANT_CHECK_SECONDS"] = str(grant_check)
        self.cabinet = start_gunicorn(
            self.cabinet_env,
            workers=self.workers,
            port=self.cabinet_port,
            data_dir=self.cabinet_data_dir,
            app="egisz.cabinet.wsgi",
            threads=self.threads,
        )
        wait_healthy(self.cabinet_url, self.cabinet)

    def stop_cabinet(self) -> None:
        if self.cabinet is not None:
            stop_server(self.cabinet)
            self.cabinet = None

    def stop(self) -> None:
        self.stop_cabinet()
        if self.idp is not None:
            stop_server(self.idp)
            self.idp = None

    def meter(self) -> CpuMeter:
        return CpuMeter(
            proc_children(self.cabinet.pid),
            database_name(self.cabinet_database_url),
            more_web={"idp": proc_children(self.idp.pid)},
            more_databases=(database_name(self.idp_database_url),),
        )

    def count_queries(self) -> dict:
        code = COUNT_QUERIES.format(paths=[path for _, path in PAGES])
        output = shell(self.cabinet_env, code, site="cabinet")
        return json.loads(output.strip().splitlines()[-1])


def measure(sites: Sites, patients: list[Patient], grant_check: int, seconds: int, warmup: int):
    sites.start_cabinet(grant_check)
    try:
        # Sessions live in Redis and the grants in the cabinet's database: after a restart
        # every patient is still logged in (checked here, as part of the warm-up).
        stale = [p for p in patients if fetch(sites.cabinet_url, p, "/") is not None]
        if stale:
            print(f"  {len(stale)} sessions did not survive the restart: logging them in again")
            log_in_all(browser_args(sites), stale)
        workers = proc_children(sites.cabinet.pid)
        rounds = []
        for name, path in PAGES:
            load(sites.cabinet_url, patients, path, warmup, None)
            round_ = Round(name, path, meter=sites.meter())
            round_.meter.start()
            load(sites.cabinet_url, patients, path, seconds, round_)
            round_.meter.stop()
            rounds.append(round_)
            print(f"  {name}: {round_.done} pages, {sum(round_.errors.values())} errors")
        rss = [rss_mib(pid) for pid in workers]
        peaks = [peak_rss_mib(pid) for pid in workers]
        queries = sites.count_queries()
    finally:
        sites.stop_cabinet()
    return Configuration(grant_check, rounds, workers, rss, peaks, queries)


def browser_args(sites: Sites) -> dict:
    return {
        "cabinet": sites.cabinet_url,
        "public_cabinet": sites.public_cabinet_url,
        "idp_database_url": sites.idp_database_url,
    }


def main() -> None:
    count = env_int("BENCH_PATIENTS", 50)
    seconds = env_int("BENCH_SECONDS", 20)
    warmup = env_int("BENCH_WARMUP_SECONDS", 3)
    checks = [int(v) for v in (os.environ.get("BENCH_GRANT_CHECKS") or "0 60").split()]
    sites = Sites()
    print(
        f"IdP database {sites.idp_database_url}, cabinet database "
        f"{sites.cabinet_database_url} (both recreated); cache "
        f"{sites.idp_cache or 'database table'} and {sites.cabinet_cache or 'database table'}"
    )
    citizens = sites.prepare(count)
    patients = [Patient(phone, snils) for phone, snils in citizens]
    print(f"{count} confirmed citizens at the IdP; the cabinet registered as a client")

    configurations: list[Configuration] = []
    try:
        sites.start_idp()
        sites.start_cabinet(checks[0])
        took = log_in_all(browser_args(sites), patients)
        completed = shell(sites.cabinet_env, COMPLETE_PROFILES, site="cabinet").strip()
        print(
            f"{count} patients logged in through /sso/login/ → IdP → /sso/callback/ in "
            f"{took:.1f} s; {completed.splitlines()[-1]} profiles completed"
        )
        sites.stop_cabinet()
        for check in checks:
            print(
                f"EGISZ_CABINET_GRANT_CHECK_SECONDS={check}: {count} patients at once, "
                f"{warmup} s warm-up and {seconds} s per page …"
            )
            configurations.append(measure(sites, patients, check, seconds, warmup))
    finally:
        sites.stop()

    report(sites, count, configurations)
    errors = sum(sum(r.errors.values()) for c in configurations for r in c.rounds)
    if errors:
        sys.exit(f"bench-cabinet: {errors} requests failed (see above)")


# --- Report -------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().split()[1]
    return f"{cores()} cores ({model}), {int(memory) / 1024 / 1024:.0f} GB RAM"


def report(sites: Sites, count: int, configurations: list[Configuration]) -> None:
    n_cores = cores()
    kind = f"gthread, {sites.threads} threads" if sites.threads > 1 else "sync"
    print()
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"{when}, {machine()}, Python {platform.python_version()}")
    print(
        f"{'servers':34s}cabinet {sites.workers} + IdP {sites.idp_workers} gunicorn workers "
        f"({kind}), PostgreSQL, Redis, EGISZ_DEMO=0"
    )
    print(f"{'load':34s}{count} logged-in patients at once, one client thread each")
    for configuration in configurations:
        print()
        print(f"EGISZ_CABINET_GRANT_CHECK_SECONDS={configuration.grant_check}")
        for round_ in configuration.rounds:
            errors = sum(round_.errors.values())
            label = f"  {round_.name} GET {round_.path}"
            if not round_.done:
                print(f"{label:34s}none succeeded: {round_.errors}")
                continue
            rate = round_.done / round_.elapsed
            lat = round_.latencies
            used = round_.meter.used
            print(
                f"{label:34s}{rate:.1f} pages/s, {rate / n_cores:.1f} per core "
                f"({round_.done} in {round_.elapsed:.1f} s), errors {errors}"
            )
            for reason, times in round_.errors.items():
                print(f"{'    error × ' + str(times):34s}{reason}")
            print(
                f"{'    latency':34s}p50 {statistics.median(lat) * 1000:.0f} ms, "
                f"p95 {percentile(lat, 0.95) * 1000:.0f} ms, "
                f"p99 {percentile(lat, 0.99) * 1000:.0f} ms"
            )
            per_page = {k: used[k] / round_.done * 1000 for k in round_.meter.groups}
            print(
                f"{'    CPU per page':34s}"
                + ", ".join(f"{k} {v:.1f} ms" for k, v in per_page.items())
                + f"; whole stack {round_.meter.stack() / round_.done * 1000:.1f} ms"
            )
            print(
                f"{'    CPU seconds':34s}"
                + ", ".join(f"{k} {v:.1f}" for k, v in used.items())
                + f" (of {round_.elapsed * n_cores:.1f})"
            )
        print(
            f"{'  RSS per cabinet worker':34s}"
            + ", ".join(f"{r:.0f}" for r in configuration.rss)
            + " MiB (peak "
            + ", ".join(f"{p:.0f}" for p in configuration.peaks)
            + " MiB)"
        )
        for path, found in configuration.queries.items():
            print(
                f"{'  one page in-process':34s}GET {path}: {found['queries']} SQL statements, "
                f"{found['ms']:.0f} ms (Django test client, HTTP {found['status']})"
            )
    if os.environ.get("BENCH_SHOW_SQL") == "1":
        for configuration in configurations:
            for path, found in configuration.queries.items():
                print(f"\nSQL of GET {path} (grant check {configuration.grant_check}):")
                for statement in found["sql"]:
                    print(f"  {statement}")


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        sys.exit(f"bench-cabinet: {error}")
