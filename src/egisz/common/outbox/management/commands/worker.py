"""`egisz worker`: deliver the outbox and run the other background tasks, forever."""

import logging
import signal
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egisz.common.outbox.worker import DEFAULT_LIMIT, IDLE_SECONDS, Worker

logger = logging.getLogger("egisz.worker")


class Command(BaseCommand):
    help = (
        "Run the background tasks of settings.WORKER_TASKS (outbox delivery, registry "
        "checks) until SIGTERM or Ctrl-C. Safe to run on several machines at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")
        parser.add_argument(
            "--limit",
            type=int,
            default=DEFAULT_LIMIT,
            help=f"Items each task handles per round (default {DEFAULT_LIMIT}).",
        )
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=IDLE_SECONDS,
            help=f"Pause after a round with nothing to do (default {IDLE_SECONDS}).",
        )

    def handle(self, *args, once: bool, limit: int, idle_seconds: float, **options):
        if limit < 1:
            raise CommandError(_("--limit должен быть положительным числом."))
        worker = Worker(limit=limit, idle_seconds=max(idle_seconds, 0.0))
        if once:
            processed = worker.run_round()
            self.stdout.write(_("Обработано: %(count)d") % {"count": processed})
            return
        logger.info("worker started: %s", ", ".join(settings.WORKER_TASKS))
        with _stop_on_signals(worker):
            try:
                worker.run()
            except KeyboardInterrupt:
                logger.warning("worker stopped at once by a second signal")
                raise SystemExit(1) from None
        logger.info("worker stopped")


@contextmanager
def _stop_on_signals(worker: Worker):
    """SIGTERM or Ctrl-C lets the current task finish, then the loop ends. A second signal
    stops at once (a message being handed over then may be sent again later)."""

    def request_stop(signum, frame):
        if worker.stop.is_set():
            raise KeyboardInterrupt
        logger.info("worker: %s received, stopping after this round", signal.Signals(signum).name)
        worker.stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
