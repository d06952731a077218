"""`egisz worker` and `egisz serve-demo`: rounds of settings.WORKER_TASKS."""

import logging
import os
import signal
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from egisz.common.outbox.models import Message
from egisz.common.outbox.services import queue_sms
from egisz.common.outbox.worker import Worker

DELIVER = "egisz.common.outbox.services.deliver_due"
PHONE = "+79161234567"

# Tasks the tests name in settings.WORKER_TASKS, and the state they report through.
rounds: list[int] = []
signal_to_send = [signal.SIGTERM]
script: list = []


def exploding_task(*, limit):
    raise RuntimeError("task bug")


def signal_on_third_round(*, limit):
    rounds.append(limit)
    if len(rounds) == 3:
        os.kill(os.getpid(), signal_to_send[0])
    return 0


def scripted_task(*, limit):
    return next(script[0])


@pytest.mark.django_db
def test_worker_once_delivers_pending_messages(sms_gateway, settings):
    settings.WORKER_TASKS = [DELIVER]
    message = queue_sms(phone=PHONE, text="Код для входа: 482913")
    out = StringIO()

    call_command("worker", "--once", stdout=out)

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert sms_gateway.sent == [(PHONE, "Код для входа: 482913")]
    assert out.getvalue().strip() == "Обработано: 1"


@pytest.mark.django_db
def test_a_task_that_cannot_be_imported_does_not_stop_delivery(sms_gateway, settings, caplog):
    settings.WORKER_TASKS = ["egisz.common.outbox.no_such_module.run", DELIVER]
    queue_sms(phone=PHONE, text="Код для входа: 482913")

    with caplog.at_level(logging.ERROR, logger="egisz.common.outbox.worker"):
        call_command("worker", "--once", stdout=StringIO())

    assert sms_gateway.sent == [(PHONE, "Код для входа: 482913")]
    assert "egisz.common.outbox.no_such_module.run" in caplog.text


@pytest.mark.django_db
def test_an_import_failure_is_logged_once_not_every_round(settings, caplog):
    settings.WORKER_TASKS = ["egisz.common.outbox.no_such_module.run"]
    worker = Worker()

    with caplog.at_level(logging.ERROR, logger="egisz.common.outbox.worker"):
        for _ in range(3):
            worker.run_round()

    assert len(caplog.records) == 1


@pytest.mark.django_db
def test_a_failing_task_is_logged_and_the_next_task_still_runs(sms_gateway, settings, caplog):
    settings.WORKER_TASKS = ["tests.common.test_worker.exploding_task", DELIVER]
    queue_sms(phone=PHONE, text="Код для входа: 482913")

    with caplog.at_level(logging.ERROR, logger="egisz.common.outbox.worker"):
        call_command("worker", "--once", stdout=StringIO())

    assert sms_gateway.sent == [(PHONE, "Код для входа: 482913")]
    assert "RuntimeError: task bug" in caplog.text


# The loop manages database connections between rounds as a real worker does, which a
# test wrapped in one transaction cannot allow.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_loop_stops_cleanly_on_a_signal(settings, signum):
    settings.WORKER_TASKS = ["tests.common.test_worker.signal_on_third_round"]
    signal_to_send[0] = signum
    rounds.clear()
    before = signal.getsignal(signum)

    call_command("worker", "--idle-seconds", "0", "--limit", "7", stdout=StringIO())

    assert rounds == [7, 7, 7], "the round in progress finished, no new round began"
    assert signal.getsignal(signum) is before


class CountingStop(threading.Event):
    """A stop event that records the worker's idle waits and stops it after ``waits``."""

    def __init__(self, waits: int):
        super().__init__()
        self.timeouts: list[float] = []
        self.waits = waits

    def wait(self, timeout=None):
        self.timeouts.append(timeout)
        if len(self.timeouts) >= self.waits:
            self.set()
        return self.is_set()


@pytest.mark.django_db(transaction=True)
def test_the_worker_idles_only_after_a_round_with_nothing_to_do(settings):
    results = iter([5, 2, 0, 3, 0])
    settings.WORKER_TASKS = ["tests.common.test_worker.scripted_task"]
    script[:] = [results]
    stop = CountingStop(waits=2)

    Worker(stop=stop, idle_seconds=1.0).run()

    assert stop.timeouts == [1.0, 1.0]
    assert next(results, "all rounds ran") == "all rounds ran"


@pytest.mark.django_db
def test_serve_demo_refuses_outside_demo_mode(settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="EGISZ_DEMO=1"):
        call_command("serve_demo")


@pytest.mark.django_db(transaction=True)
def test_serve_demo_delivers_in_process_while_the_server_runs(sms_gateway, settings, monkeypatch):
    settings.WORKER_TASKS = [DELIVER]
    settings.PORT = 8765
    queue_sms(phone=PHONE, text="Код для входа: 482913")
    served = {}

    def fake_runserver(name, addrport, **options):
        served.update(name=name, addrport=addrport, **options)
        served["delivered"] = sms_gateway.delivered.wait(timeout=30)
        served["threads"] = [t.name for t in threading.enumerate()]

    monkeypatch.setattr(
        "egisz.common.outbox.management.commands.serve_demo.call_command", fake_runserver
    )
    before = signal.getsignal(signal.SIGTERM)

    call_command("serve_demo")

    assert served["name"] == "runserver"
    assert served["addrport"] == "127.0.0.1:8765"
    assert served["use_reloader"] is False
    assert served["delivered"], "the outbox was delivered while the server ran"
    assert "outbox-delivery" in served["threads"]
    assert "outbox-delivery" not in [t.name for t in threading.enumerate()], "delivery stopped"
    assert signal.getsignal(signal.SIGTERM) is before
    assert Message.objects.get().status == Message.Status.SENT
