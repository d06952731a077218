"""The `egisz` command for operators.

egisz idp <django command> [args]      management commands of the IdP site
egisz cabinet <django command> [args]  management commands of the cabinet site
egisz worker [--once]                  deliver the IdP's outbox and run its background checks
                                       (the cabinet's: egisz cabinet worker)
egisz outbox [--limit N]               print the IdP's latest outbox messages (demo only)
egisz demo-data                        load the demo data of both sites (idempotent)
egisz serve-demo                       both sites with in-process delivery (make run)
"""

import contextlib
import os
import signal
import subprocess
import sys

SITES = {"idp": "egisz.idp.settings", "cabinet": "egisz.cabinet.settings"}
# Project commands run with one site's settings.
PROJECT_COMMANDS = {
    "worker": ("idp", "worker"),
    "outbox": ("idp", "outbox"),
}
# Project commands that run a Django command on every site, one process per site (each
# site has its own settings, and Django is configured once per process).
EVERY_SITE_COMMANDS = {"demo-data": "demo_data"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    head, rest = args[0], args[1:]
    if head in SITES:
        # `egisz idp rotate-keys` runs the Django command rotate_keys.
        site = head
        command_args = [rest[0].replace("-", "_"), *rest[1:]] if rest else []
    elif head in PROJECT_COMMANDS:
        site, command = PROJECT_COMMANDS[head]
        command_args = [command, *rest]
    elif head in EVERY_SITE_COMMANDS:
        return _on_every_site([EVERY_SITE_COMMANDS[head], *rest])
    elif head == "serve-demo":
        return _serve_demo(rest)
    else:
        print(f"egisz: unknown command {head!r}\n{__doc__}", file=sys.stderr)
        return 2
    os.environ["DJANGO_SETTINGS_MODULE"] = SITES[site]
    from django.core.management import execute_from_command_line

    execute_from_command_line([f"egisz {site}", *command_args])
    return 0


def _site_command(site: str, args: list[str]) -> list[str]:
    return [sys.executable, "-m", "egisz.cli", site, *args]


def _on_every_site(args: list[str]) -> int:
    for site in SITES:
        done = subprocess.run(_site_command(site, args), check=False)  # noqa: S603
        if done.returncode:
            return done.returncode
    return 0


def _serve_demo(args: list[str]) -> int:
    """Both demo servers (each with its outbox delivery) until Ctrl-C; if one stops, so does
    the other."""
    processes = [subprocess.Popen(_site_command(site, ["serve_demo", *args])) for site in SITES]  # noqa: S603
    try:
        while all(process.poll() is None for process in processes):
            with contextlib.suppress(subprocess.TimeoutExpired):
                processes[0].wait(timeout=1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    return max((process.returncode or 0) for process in processes)


if __name__ == "__main__":
    sys.exit(main())
