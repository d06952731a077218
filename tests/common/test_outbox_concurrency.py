"""Several workers at once never send one message twice (row locks with SKIP LOCKED)."""

import threading
from collections import Counter

import pytest
from django.db import connection

from egisz.common.outbox.models import Message
from egisz.common.outbox.services import deliver_due, queue_sms

WORKERS = 4
MESSAGES = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_message_exactly_once(postgres_only, sms_gateway):
    expected = [(f"+7916{n:07d}", f"Код подтверждения: {n:06d}") for n in range(MESSAGES)]
    for phone, text in expected:
        queue_sms(phone=phone, text=text)
    start = threading.Barrier(WORKERS)
    errors = []

    def worker():
        try:
            start.wait()
            deliver_due(limit=MESSAGES * 2)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    sends = Counter(sms_gateway.sent)
    assert set(sends) == set(expected), "every message was sent"
    assert max(sends.values()) == 1, "no message was sent twice"
    assert Message.objects.filter(status=Message.Status.SENT).count() == MESSAGES
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
