"""The `egisz` command for operators.

egisz idp <django command> [args]      management commands of the IdP site
egisz cabinet <django command> [args]  management commands of the cabinet site
egisz worker [--once]                  deliver the IdP's outbox and run its background checks
                                       (the cabinet's: egisz cabinet worker)
egisz outbox [--limit N]               print the IdP's latest outbox messages (demo only)
egisz demo-data                        load the demo data of both sites (idempotent)
egisz serve-demo                       both sites with in-process delivery (make run)

Against the demo that `make run` started: run from the project directory with EGISZ_DEMO=1,
e.g. EGISZ_DEMO=1 .venv/bin/egisz idp list-clients (the demo's databases are in ./var).
"""

import importlib
import os
import signal
import subprocess
import sys
import threading
import time

from django.core.exceptions import ImproperlyConfigured

SITES = {"idp": "egisz.idp.settings", "cabinet": "egisz.cabinet.settings"}
# Project commands run with one site's settings.
PROJECT_COMMANDS = {
    "worker": ("idp", "worker"),
    "outbox": ("idp", "outbox"),
}
# Project commands that run a Django command on every site, one process per site (each
# site has its own settings, and Django is configured once per process).
EVERY_SITE_COMMANDS = {"demo-data": "demo_data"}


# Exit codes: what a script calling `egisz` can tell apart.
EXIT_CONFIGURATION = 2  # the settings refuse the environment (or an unknown command)
EXIT_DATABASE = 1  # the database cannot be used (unreachable, not migrated)


def main(argv: list[str] | None = None) -> int:
    """Runs one command. A configuration problem (settings refusing the environment, a
    database that cannot be used) is answered with one line on stderr saying what is wrong
    and how to set it, and a non-zero exit code; ``--traceback`` shows the traceback too."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    try:
        return _run(args)
    except (ImproperlyConfigured, DatabaseUnusable) as problem:
        if "--traceback" in args:
            raise
        print("egisz: " + " ".join(str(problem).split()), file=sys.stderr)
        return EXIT_DATABASE if isinstance(problem, DatabaseUnusable) else EXIT_CONFIGURATION


class DatabaseUnusable(Exception):
    """A site's database cannot be reached or has no tables yet (or an SQL statement failed:
    ``--traceback`` tells)."""

    def __init__(self, site: str, error: Exception):
        super().__init__(
            f"the {site} database cannot be used ({error}). Check EGISZ_{site.upper()}"
            f"_DATABASE_URL, or, for the demo, run the command in the directory `make run` "
            f"ran in (its SQLite files are in ./var, or in EGISZ_DATA_DIR); a new database "
            f"needs `egisz {site} migrate` first."
        )


def _run(args: list[str]) -> int:
    head, rest = args[0], args[1:]
    if head in SITES:
        # `egisz idp rotate-keys` runs the Django command rotate_keys.
        site = head
        command_args = [rest[0].replace("-", "_"), *rest[1:]] if rest else []
    elif head in PROJECT_COMMANDS:
        site, command = PROJECT_COMMANDS[head]
        command_args = [command, *rest]
    elif head in EVERY_SITE_COMMANDS:
        _check_settings(*SITES)
        return _on_every_site([EVERY_SITE_COMMANDS[head], *rest])
    elif head == "serve-demo":
        if not all(_check_settings(*SITES)):
            raise ImproperlyConfigured(
                "serve-demo serves the demo only: set EGISZ_DEMO=1 (as `make run` does). "
                "Outside the demo run gunicorn and `egisz worker` (README)."
            )
        return _serve_demo(rest)
    else:
        print(f"egisz: unknown command {head!r}\n{__doc__}", file=sys.stderr)
        return EXIT_CONFIGURATION
    return _run_django(site, command_args)


def _run_django(site: str, command_args: list[str]) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = SITES[site]
    from django.conf import settings
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    # Loaded before Django's command line, which would turn settings refusing the
    # environment into a traceback, or into a note under its help text.
    settings.INSTALLED_APPS  # noqa: B018
    try:
        execute_from_command_line([f"egisz {site}", *command_args])
    except (OperationalError, ProgrammingError) as error:
        # Unreachable (OperationalError), or without the tables: OperationalError on SQLite,
        # ProgrammingError on PostgreSQL.
        raise DatabaseUnusable(site, error) from error
    return 0


def _check_settings(*sites: str) -> list[bool]:
    """Imports each site's settings module (each raises ImproperlyConfigured on an
    environment it refuses) without configuring Django; returns whether each is in demo
    mode."""
    return [importlib.import_module(SITES[site]).DEMO for site in sites]


def _site_command(site: str, args: list[str]) -> list[str]:
    return [sys.executable, "-m", "egisz.cli", site, *args]


def _on_every_site(args: list[str]) -> int:
    for site in SITES:
        done = subprocess.run(_site_command(site, args), check=False)  # noqa: S603
        if done.returncode:
            return done.returncode
    return 0


# What ends the demo: Ctrl-C (SIGINT), `kill`, a process manager or a container runtime
# (SIGTERM), a closed terminal (SIGHUP).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long the servers may take to finish (each lets its outbox delivery end cleanly).
STOP_TIMEOUT_SECONDS = 30


def _serve_demo(args: list[str]) -> int:
    """Both demo servers (each with its outbox delivery), until a stop signal or until one
    of them stops; the servers are stopped with it, never left behind on their ports."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in STOP_SIGNALS}
    processes: list[subprocess.Popen] = []
    try:
        for site in SITES:
            processes.append(subprocess.Popen(_site_command(site, ["serve_demo", *args])))  # noqa: S603
        while not stop.is_set() and all(process.poll() is None for process in processes):
            stop.wait(timeout=0.5)
    finally:
        _stop(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return max((process.returncode or 0) for process in processes) if processes else 0


def _stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to every server still running (each ends as on Ctrl-C), SIGKILL to any that
    has not ended in time; returns when none is left."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    sys.exit(main())
