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

import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher

from harness import (
    DEFAULT_DATABASE_URL,
    PASSWORD,
    Client,
    CpuMeter,
    LoginFailed,
    cores,
    create_accounts,
    database_name,
    env_int,
    free_port,
    new_data_dir,
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
)


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


def main() -> None:
    database_url = os.environ.get("EGISZ_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    seconds = env_int("BENCH_SECONDS", 30)
    account_count = env_int("BENCH_ACCOUNTS", 4000)
    n_cores = cores()
    workers = env_int("BENCH_WORKERS", n_cores)
    concurrency = env_int("BENCH_CONCURRENCY", 2 * workers)
    hash_seconds = env_int("BENCH_HASH_SECONDS", 5)
    cache_url = redis_url()
    port = free_port()
    data_dir = new_data_dir()
    env = server_env(database_url=database_url, cache_url=cache_url, data_dir=data_dir)

    print(f"database {database_url} (recreated), cache {cache_url or 'database table'}")
    prepare_database(env, database_url, cache_url)
    output = create_accounts(env, account_count)
    params = json.loads(output.strip().splitlines()[-1])
    print(f"{account_count} accounts; Argon2id {params}")

    server = start_gunicorn(env, workers=workers, port=port, data_dir=data_dir)
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
        meter = CpuMeter(web_workers, database_name(database_url))
        meter.start()
        elapsed = load.run(seconds=seconds)
        meter.stop()
        used = meter.used
        peaks = [peak_rss_mib(pid) for pid in web_workers]
        load.close()
    finally:
        stop_server(server)

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
