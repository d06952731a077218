"""Outbox delivery when things break: SMTP down and the SMS gateway failing lose nothing; a
worker killed (SIGKILL) mid-batch leaves every message delivered, at most the one it was
handing over twice and then marked as a possible duplicate; two workers never send the same
message. The worker tests run real `egisz worker` processes on PostgreSQL."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from egisz.common.outbox.gateways import DeliveryError
from egisz.common.outbox.models import Message
from egisz.common.outbox.services import queue_email, queue_sms

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90


def run_worker_once():
    call_command("worker", "--once", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_smtp_down_and_sms_gateway_failing_lose_nothing_and_deliver_after_recovery(
    smtp_server, sms_gateway, settings
):
    settings.PERIODIC_JOBS = {}
    settings.OUTBOX_RETRY_BASE_SECONDS = 15
    smtp_server.stop()
    sms_gateway.outage = DeliveryError("оператор связи недоступен")
    with transaction.atomic():
        for n in range(3):
            queue_email(to=f"patient{n}@example.org", subject="Уведомление", body=f"Письмо {n}")
            queue_sms(phone=f"+7916000000{n}", text=f"Код подтверждения: 00000{n}")

    run_worker_once()

    assert Message.objects.filter(status=Message.Status.PENDING, attempts=1).count() == 6
    assert smtp_server.envelopes == [] and sms_gateway.sent == []

    smtp_server.start()
    sms_gateway.outage = None
    run_worker_once()
    assert smtp_server.envelopes == [] and sms_gateway.sent == [], "retries wait for back-off"

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=16)):
        run_worker_once()

    assert Message.objects.filter(status=Message.Status.SENT, attempts=2).count() == 6
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == [
        f"patient{n}@example.org" for n in range(3)
    ]
    assert sorted(sms_gateway.sent) == [
        (f"+7916000000{n}", f"Код подтверждения: 00000{n}") for n in range(3)
    ]
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        run_worker_once()
    assert len(smtp_server.envelopes) == 3 and len(sms_gateway.sent) == 3, "nothing twice"


# --- Real worker processes on PostgreSQL -------------------------------------------------


def _database_url() -> str:
    base = os.environ["EGISZ_IDP_DATABASE_URL"]
    return urlunsplit(urlsplit(base)._replace(path="/" + connection.settings_dict["NAME"]))


def _start_worker(log: Path, **extra) -> subprocess.Popen:
    env = {
        **os.environ,
        "EGISZ_DEMO": "1",
        "EGISZ_IDP_DATABASE_URL": _database_url(),
        "EGISZ_SMS_GATEWAY": "tests.common.gateways.FileSmsGateway",
        "EGISZ_TEST_SMS_LOG": str(log),
        "EGISZ_OUTBOX_LEASE_SECONDS": "3",
        "EGISZ_OUTBOX_SWEEP_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "egisz.cli", "worker", "--idle-seconds=0.2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def _all_sent() -> bool:
    return not Message.objects.exclude(status=Message.Status.SENT).exists()


def _stop(*workers: subprocess.Popen) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _sends(log: Path) -> Counter:
    return Counter(tuple(line.split("\t", 1)) for line in log.read_text("utf-8").splitlines())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_every_message_sent_duplicates_recorded(
    postgres_only, tmp_path
):
    log = tmp_path / "sms.log"
    log.touch()
    expected = {(f"+7916{n:07d}", f"Код подтверждения: {n:06d}") for n in range(12)}
    for phone, text in expected:
        queue_sms(phone=phone, text=text)

    first = _start_worker(log, EGISZ_TEST_SMS_HANG_AFTER="5")
    try:
        _wait_for(Path(f"{log}.hung").exists, "the first worker to hang mid-send")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert Message.objects.filter(status=Message.Status.PENDING).exists(), "mid-batch"
        second = _start_worker(log)
        try:
            _wait_for(_all_sent, "the second worker to send the rest")
        finally:
            _stop(second)
    finally:
        _stop(first)

    sends = _sends(log)
    assert set(sends) == expected, "every message was delivered"
    flagged = {(m.recipient, m.body) for m in Message.objects.filter(possible_duplicate=True)}
    twice = {message for message, count in sends.items() if count > 1}
    assert twice, "the message the killed worker was handing over went out again"
    assert max(sends.values()) == 2
    assert twice == flagged, "a message sent twice is recorded as a possible duplicate"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_never_send_the_same_message(postgres_only, tmp_path):
    log = tmp_path / "sms.log"
    log.touch()
    expected = {(f"+7917{n:07d}", f"Код подтверждения: {n:06d}") for n in range(40)}
    for phone, text in expected:
        queue_sms(phone=phone, text=text)

    workers = [_start_worker(log), _start_worker(log)]
    try:
        _wait_for(_all_sent, "the workers to send every message")
    finally:
        _stop(*workers)

    sends = _sends(log)
    assert set(sends) == expected
    assert max(sends.values()) == 1, "no message was sent twice"
    assert not Message.objects.filter(possible_duplicate=True).exists()
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
