"""Outbox delivery: transactional queueing, retry with back-off, giving up, never stalling."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from egisz.common.outbox.gateways import DeliveryError
from egisz.common.outbox.models import Message
from egisz.common.outbox.services import deliver_due, queue_sms, retry_delay

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PHONE = "+79161234567"


def test_a_message_queued_in_a_rolled_back_transaction_never_exists(sms_gateway):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_sms(phone=PHONE, text="Код подтверждения: 123456")
        raise RuntimeError("the change that caused the SMS failed")

    assert not Message.objects.exists()
    assert deliver_due() == 0
    assert sms_gateway.sent == []


def test_delivery_hands_the_sms_to_the_gateway_and_marks_it_sent(sms_gateway):
    with time_machine.travel(START, tick=False):
        message = queue_sms(phone=PHONE, text="Код подтверждения: 123456")
        assert deliver_due() == 1

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.sent_at == START
    assert message.attempts == 1
    assert sms_gateway.sent == [(PHONE, "Код подтверждения: 123456")]
    assert deliver_due() == 0, "a sent message is not sent again"


def test_a_failing_gateway_is_retried_with_exponential_back_off(sms_gateway, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 15
    settings.OUTBOX_MAX_ATTEMPTS = 8
    sms_gateway.outage = DeliveryError("оператор связи недоступен")
    with time_machine.travel(START, tick=False) as clock:
        message = queue_sms(phone=PHONE, text="Код подтверждения: 123456")
        for attempts, delay in enumerate([15, 30, 60, 120], start=1):
            assert deliver_due() == 1
            message.refresh_from_db()
            assert message.status == Message.Status.PENDING
            assert message.attempts == attempts
            assert "оператор связи недоступен" in message.last_error
            assert message.next_attempt_at == dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
            clock.shift(delay - 1)
            assert deliver_due() == 0, "not retried before next_attempt_at"
            clock.shift(1)

        # The gateway is back: the next attempt sends it.
        sms_gateway.outage = None
        assert deliver_due() == 1

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 5
    assert message.last_error == ""
    assert sms_gateway.sent == [(PHONE, "Код подтверждения: 123456")]


def test_back_off_is_capped_at_one_hour(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 15
    assert retry_delay(1) == dt.timedelta(seconds=15)
    assert retry_delay(2) == dt.timedelta(seconds=30)
    assert retry_delay(30) == dt.timedelta(hours=1)


def test_a_message_fails_for_good_after_the_maximum_attempts(sms_gateway, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 15
    settings.OUTBOX_MAX_ATTEMPTS = 3
    sms_gateway.outage = DeliveryError("оператор связи недоступен")
    with time_machine.travel(START, tick=False) as clock:
        message = queue_sms(phone=PHONE, text="Код подтверждения: 123456")
        for _ in range(3):
            assert deliver_due() == 1
            clock.shift(dt.timedelta(hours=1))
        message.refresh_from_db()
        assert message.status == Message.Status.FAILED
        assert message.attempts == 3

        sms_gateway.outage = None
        clock.shift(dt.timedelta(days=1))
        assert deliver_due() == 0, "a failed message is not attempted again"

    assert sms_gateway.sent == []


def test_a_gateway_raising_an_unexpected_exception_does_not_stop_the_queue(sms_gateway):
    broken, healthy = "+79160000001", "+79160000002"
    sms_gateway.broken_for[broken] = RuntimeError("gateway bug")
    with time_machine.travel(START, tick=False):
        poisoned = queue_sms(phone=broken, text="первое")
        queue_sms(phone=healthy, text="второе")

        assert deliver_due() == 2

    poisoned.refresh_from_db()
    assert poisoned.status == Message.Status.PENDING
    assert "RuntimeError: gateway bug" in poisoned.last_error
    assert sms_gateway.sent == [(healthy, "второе")]


def test_messages_are_delivered_oldest_first_within_the_limit(sms_gateway):
    with time_machine.travel(START, tick=False) as clock:
        for n in range(5):
            queue_sms(phone=f"+7916000000{n}", text=f"сообщение {n}")
            clock.shift(1)
        assert deliver_due(limit=3) == 3
        assert [text for _, text in sms_gateway.sent] == [f"сообщение {n}" for n in range(3)]
        assert deliver_due(limit=3) == 2
    assert Message.objects.filter(status=Message.Status.SENT).count() == 5
