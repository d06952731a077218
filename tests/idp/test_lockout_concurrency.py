"""Parallel guesses with one identifier on PostgreSQL: each is counted, and no more than
the threshold are ever checked before the lock — for a real account and an unknown number
alike. An attempt in flight when the lock is set (waiting for the lock rows) is refused
after it, even with the right password or the app's right code."""

import pyotp
import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from egisz.idp.authn import lockout, totp
from egisz.idp.authn.models import LoginAttempt
from tests.cabinet.concurrency import (
    POSTGRES_RACE,
    in_thread,
    race,
    wait_until_blocked_on_a_row_lock,
)

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


def _lock_while(identifier: str, request_in_flight):
    """Locks ``identifier`` while ``request_in_flight`` waits for its lock rows; returns what
    the request answered once the lock was committed."""
    with transaction.atomic():
        held = lockout.CITIZEN.hold(lockout.keys_for(identifier))
        join = in_thread(request_in_flight)
        wait_until_blocked_on_a_row_lock()
        for _ in range(settings.LOCKOUT_THRESHOLD):
            lockout.CITIZEN.count_failure(held)
    return join()


def test_the_right_password_in_flight_when_the_lock_is_set_is_refused(make_account, password):
    account = make_account(phone="+79161234568")
    client = Client()
    attempt = {"identifier": account.phone, "password": password}
    response = _lock_while(account.phone, lambda: client.post("/login/", attempt))
    assert response.status_code == 403
    assert "egisz_login_plan" not in client.session


def test_the_apps_right_code_in_flight_when_the_lock_is_set_is_refused(make_account, password):
    account = make_account(phone="+79161234569")
    device = totp.new_device(account)
    device.confirmed_at = timezone.now()
    device.save()
    client = Client()
    client.post("/login/", {"identifier": account.phone, "password": password})
    code = pyotp.TOTP(totp.secret_of(device)).now()
    response = _lock_while(account.phone, lambda: client.post("/login/code/", {"code": code}))
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    # The lock holds: nothing of the login lifted it.
    assert lockout.account_locked_until(account) is not None
    assert not LoginAttempt.objects.filter(account=account, result="success").exists()
