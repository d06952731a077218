"""`egisz worker`: run queued tasks (outbox delivery and the rest) and the periodic jobs of
settings.PERIODIC_JOBS, forever."""

import logging
import signal
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from egisz.common.jobs.worker import IDLE_SECONDS, Worker

logger = logging.getLogger("egisz.worker")


class Command(BaseCommand):
    help = (
        "Run the site's queued tasks (outbox delivery, registry checks, back-channel logout) "
        "and its periodic jobs until SIGTERM or Ctrl-C. Run as many as needed, on any number "
        "of machines."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="Queue the due periodic jobs, run every queued task, and exit.",
        )
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=IDLE_SECONDS,
            help=f"Pause after a round with nothing to do (default {IDLE_SECONDS}).",
        )

    def handle(self, *args, once: bool, idle_seconds: float, **options):
        worker = Worker(idle_seconds=max(idle_seconds, 0.0))
        if once:
            processed = worker.run_round()
            self.stdout.write(_("Обработано: %(count)d") % {"count": processed})
            return
        logger.info("worker started: periodic jobs %s", ", ".join(settings.PERIODIC_JOBS))
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
    stops at once (a message being handed over then is sent again when its lease ends, and
    marked as a possible duplicate)."""

    def request_stop(signum, frame):
        if worker.stop.is_set():
            raise KeyboardInterrupt
        logger.info("worker: %s received, stopping after this task", signal.Signals(signum).name)
        worker.request_stop()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
