"""`egisz worker` and `egisz serve-demo`: queued tasks and the periodic jobs of
settings.PERIODIC_JOBS on django-tasks' database backend."""

import datetime as dt
import logging
import os
import signal
import threading
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from egisz.common.jobs.models import PeriodicJob
from egisz.common.jobs.scheduler import queue_due_jobs
from egisz.common.jobs.tasks import BATCH
from egisz.common.jobs.worker import Worker
from egisz.common.outbox.models import Message
from egisz.common.outbox.services import queue_sms

DELIVER = "egisz.common.outbox.services.deliver_due"
PHONE = "+79161234567"

# Jobs the tests name in settings.PERIODIC_JOBS, and the state they report through.
runs: list[int] = []
signal_to_send = [signal.SIGTERM]


def exploding_job(*, limit):
    raise RuntimeError("task bug")


def signal_on_third_run(*, limit):
    runs.append(limit)
    if len(runs) == 3:
        os.kill(os.getpid(), signal_to_send[0])
    return 0


def full_batch_job(*, limit):
    runs.append(limit)
    return limit


@pytest.mark.django_db
def test_worker_once_delivers_pending_messages(sms_gateway, settings):
    settings.PERIODIC_JOBS = {DELIVER: 60}
    message = queue_sms(phone=PHONE, text="Код для входа: 482913")
    out = StringIO()

    call_command("worker", "--once", stdout=out)

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert sms_gateway.sent == [(PHONE, "Код для входа: 482913")]
    assert out.getvalue().strip() == "Обработано: 1"


@pytest.mark.django_db(transaction=True)
def test_a_committed_message_is_queued_as_a_task_and_delivered_by_it(sms_gateway, settings):
    settings.PERIODIC_JOBS = {}
    with transaction.atomic():
        queue_sms(phone=PHONE, text="Код для входа: 482913")
        assert not DBTaskResult.objects.exists(), "nothing is queued before the commit"
    task = DBTaskResult.objects.get()
    assert task.task_path == "egisz.common.outbox.tasks.deliver_message"

    call_command("worker", "--once", stdout=StringIO())

    assert sms_gateway.sent == [(PHONE, "Код для входа: 482913")]
    assert Message.objects.get().status == Message.Status.SENT
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("job", "logged"),
    [
        ("egisz.common.outbox.no_such_module.run", "egisz.common.outbox.no_such_module.run"),
        ("tests.common.test_worker.exploding_job", "RuntimeError: task bug"),
    ],
    ids=["cannot be imported", "raises"],
)
def test_a_broken_job_is_logged_and_the_next_job_still_runs(
    sms_gateway, settings, caplog, job, logged
):
    settings.PERIODIC_JOBS = {job: 60, DELIVER: 60}
    queue_sms(phone=PHONE, text="Код для входа: 482913")

    with caplog.at_level(logging.ERROR, logger="egisz.common.jobs.tasks"):
        call_command("worker", "--once", stdout=StringIO())

    assert sms_gateway.sent == [(PHONE, "Код для входа: 482913")]
    assert logged in caplog.text
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1


@pytest.mark.django_db
def test_a_periodic_job_is_queued_once_per_interval_however_many_workers_look(settings):
    settings.PERIODIC_JOBS = {DELIVER: 60}
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as clock:
        assert queue_due_jobs() == 1
        assert queue_due_jobs() == 0, "a second worker finds the run already queued"
        clock.shift(59)
        assert queue_due_jobs() == 0
        clock.shift(1)
        assert queue_due_jobs() == 1
    assert DBTaskResult.objects.filter(args_kwargs__args=[DELIVER]).count() == 2
    assert PeriodicJob.objects.get().path == DELIVER


@pytest.mark.django_db
def test_a_run_that_fills_its_batch_runs_again_at_the_next_round(settings):
    settings.PERIODIC_JOBS = {"tests.common.test_worker.full_batch_job": 3600}
    runs.clear()
    worker = Worker()

    worker.run_round()
    worker.run_round()

    assert runs == [BATCH, BATCH], "a full batch left more to do: not an hour later"


# The loop manages database connections between rounds as a real worker does, which a
# test wrapped in one transaction cannot allow.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_loop_stops_cleanly_on_a_signal(settings, signum):
    settings.PERIODIC_JOBS = {"tests.common.test_worker.signal_on_third_run": 0}
    signal_to_send[0] = signum
    runs.clear()
    before = signal.getsignal(signum)

    call_command("worker", "--idle-seconds", "0", stdout=StringIO())

    assert runs == [BATCH, BATCH, BATCH], "the task in progress finished, no new one began"
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
def test_the_worker_idles_only_after_a_round_with_nothing_to_do(settings, monkeypatch):
    results = iter([5, 2, 0, 3, 0])
    settings.PERIODIC_JOBS = {}
    stop = CountingStop(waits=2)
    worker = Worker(stop=stop, idle_seconds=1.0)
    monkeypatch.setattr(worker, "run_round", lambda: next(results))

    worker.run()

    assert stop.timeouts == [1.0, 1.0]
    assert next(results, "all rounds ran") == "all rounds ran"


@pytest.mark.django_db
def test_serve_demo_refuses_outside_demo_mode(settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="EGISZ_DEMO=1"):
        call_command("serve_demo")


@pytest.mark.django_db(transaction=True)
def test_serve_demo_delivers_in_process_while_the_server_runs(sms_gateway, settings, monkeypatch):
    settings.PERIODIC_JOBS = {DELIVER: 60}
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


@pytest.mark.django_db
def test_task_rows_are_pruned_a_week_after_they_finish_or_their_worker_died(settings):
    from egisz.common.jobs.services import prune_finished_tasks
    from egisz.common.jobs.tasks import run_periodic_job

    settings.PERIODIC_JOBS = {}
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as clock:
        done, orphan, waiting = (run_periodic_job.enqueue("x") for _ in range(3))
        DBTaskResult.objects.filter(id=done.id).update(
            status="SUCCESSFUL", finished_at=timezone.now()
        )
        DBTaskResult.objects.filter(id=orphan.id).update(
            status="RUNNING", started_at=timezone.now()
        )
        clock.shift(dt.timedelta(days=7))
        assert prune_finished_tasks() == 2
    assert list(DBTaskResult.objects.values_list("id", flat=True)) == [waiting.db_result.id]
