"""The `egisz` command for operators.

egisz idp <django command> [args]      management commands of the IdP site
egisz cabinet <django command> [args]  management commands of the cabinet site
egisz worker [--once]                  deliver the outbox and run background checks
egisz outbox [--limit N]               print the latest outbox messages (demo only)
egisz demo-data                        load the demo accounts (idempotent)
egisz serve-demo                       the IdP with in-process delivery (make run)
"""

import os
import sys

SITES = {"idp": "egisz.idp.settings", "cabinet": "egisz.cabinet.settings"}
# Project commands, each run with the IdP's settings for now.
PROJECT_COMMANDS = {
    "worker": ("idp", "worker"),
    "outbox": ("idp", "outbox"),
    "demo-data": ("idp", "demo_data"),
    "serve-demo": ("idp", "serve_demo"),
}


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
    else:
        print(f"egisz: unknown command {head!r}\n{__doc__}", file=sys.stderr)
        return 2
    os.environ["DJANGO_SETTINGS_MODULE"] = SITES[site]
    from django.core.management import execute_from_command_line

    execute_from_command_line([f"egisz {site}", *command_args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
