"""One-time code rules, with a controlled clock."""

import datetime
import re

import pytest
import time_machine

from egisz.common.codes import services as codes
from egisz.common.codes.models import OneTimeCode
from egisz.common.outbox.models import Message

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
PHONE = "+79161234567"


def send(purpose="login", target=PHONE):
    codes.send_code(purpose=purpose, target=target, channel="sms", text="Код: {code}")
    body = Message.objects.filter(recipient=target).latest("id").body
    return re.search(r"\d{6}", body).group(0)


def check(code, purpose="login"):
    return codes.check_code(purpose=purpose, target=PHONE, code=code)


def test_a_code_has_six_digits_and_only_its_hash_is_stored():
    code = send()
    assert len(code) == 6
    stored = OneTimeCode.objects.get()
    assert code not in stored.code_hash and len(stored.code_hash) == 64


def test_a_code_works_once():
    code = send()
    assert check(code).ok
    assert check(code).status is codes.Check.MISSING


def test_a_code_is_valid_for_five_minutes():
    with time_machine.travel(START, tick=False) as clock:
        code = send()
        clock.shift(datetime.timedelta(minutes=4, seconds=59))
        assert check(code).ok
        clock.shift(datetime.timedelta(minutes=2))
        code = send()
        clock.shift(datetime.timedelta(minutes=5))
        assert check(code).status is codes.Check.EXPIRED


def test_three_wrong_tries_burn_the_code():
    code = send()
    wrong = "000000" if code != "000000" else "111111"
    first = check(wrong)
    assert first.status is codes.Check.WRONG and first.tries_left == 2
    assert check(wrong).tries_left == 1
    assert check(wrong).status is codes.Check.EXHAUSTED
    assert check(code).status is codes.Check.MISSING  # even the right one is gone


def test_a_new_code_waits_sixty_seconds_unless_the_last_was_used():
    with time_machine.travel(START, tick=False) as clock:
        send()
        with pytest.raises(codes.CodeRefused) as refused:
            send()
        assert refused.value.retry_after == 61
        clock.shift(datetime.timedelta(seconds=61))
        code = send()
        assert check(code).ok
        send()  # the previous code was used: no wait


def test_a_newer_code_replaces_the_older_one():
    with time_machine.travel(START, tick=False) as clock:
        old = send()
        clock.shift(datetime.timedelta(seconds=61))
        new = send()
        if old != new:
            assert not check(old).ok
        assert check(new).ok


def test_at_most_five_codes_per_phone_per_hour_across_purposes():
    with time_machine.travel(START, tick=False) as clock:
        for purpose in ("login", "registration", "recovery", "login", "registration"):
            send(purpose)
            clock.shift(datetime.timedelta(minutes=2))
        with pytest.raises(codes.CodeRefused) as refused:
            send("recovery")
        # The first of the five leaves the hour 50 minutes later.
        assert refused.value.retry_after == 50 * 60 + 1
        clock.shift(datetime.timedelta(minutes=50, seconds=1))
        send("recovery")


def test_codes_of_one_purpose_do_not_open_another():
    code = send("registration")
    assert check(code, purpose="login").status is codes.Check.MISSING


def test_a_decoy_code_throttles_like_a_real_one_and_opens_nothing():
    codes.record_decoy_code(purpose="recovery", target=PHONE)
    assert not Message.objects.exists()
    with pytest.raises(codes.CodeRefused):
        codes.record_decoy_code(purpose="recovery", target=PHONE)
