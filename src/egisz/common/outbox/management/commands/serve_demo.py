"""`egisz idp serve-demo` / `egisz cabinet serve-demo` (`egisz serve-demo`, what `make run`
starts, runs both): the site's development server on 127.0.0.1:<its port> with its task
worker (outbox delivery, periodic jobs) in a thread of the same process."""

import signal
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egisz.common.jobs.worker import Worker

HOST = "127.0.0.1"


class Command(BaseCommand):
    help = (
        "Serve the site for the demo on 127.0.0.1:<site port> with outbox delivery "
        "running in the same process; Ctrl-C stops both."
    )
    # runserver runs the system checks itself.
    requires_system_checks = []

    def handle(self, *args, **options):
        if not settings.DEMO:
            raise CommandError(
                _(
                    "serve-demo запускается только в демонстрационном режиме (EGISZ_DEMO=1). "
                    "В рабочем режиме запустите веб-сервер (gunicorn) и egisz worker."
                )
            )
        stop = threading.Event()
        worker = Worker(stop=stop, close_connections=True)
        delivery = threading.Thread(target=worker.run, name="outbox-delivery", daemon=True)
        # SIGTERM ends the server the way Ctrl-C does, so the delivery thread stops cleanly.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        delivery.start()
        try:
            # No autoreloader: it would fork a second process with a second delivery thread.
            call_command("runserver", f"{HOST}:{settings.PORT}", use_reloader=False)
        finally:
            worker.request_stop()
            delivery.join(timeout=30)
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame):
    raise KeyboardInterrupt
