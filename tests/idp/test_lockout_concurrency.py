"""Parallel guesses with one identifier on PostgreSQL: each is counted, and no more than
the threshold are ever checked before the lock — for a real account and an unknown number
alike."""

import pytest
from django.conf import settings
from django.test import Client

from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from tests.cabinet.concurrency import POSTGRES_RACE, race

pytestmark = POSTGRES_RACE

GUESSES = 8


def guess(identifier: str):
    def attempt() -> int:
        response = Client().post("/login/", {"identifier": identifier, "password": "Wrong#1x"})
        return response.status_code

    return attempt


@pytest.mark.parametrize("known", [True, False], ids=["account", "unknown"])
def test_parallel_guesses_never_exceed_the_threshold(make_account, known):
    phone = "+79161234567"
    if known:
        make_account(phone=phone)
    answers = race(*[guess(phone) for _ in range(GUESSES)])
    assert sorted(answers) == [401] * (settings.LOCKOUT_THRESHOLD - 1) + [403] * (
        GUESSES - settings.LOCKOUT_THRESHOLD + 1
    )
    if known:
        assert AuditEvent.objects.filter(action="account.locked").count() == 1
        assert Message.objects.filter(body__contains="заблокирован").count() == 1
