"""One-time code rules, with a controlled clock."""

import datetime
import re

import pytest
import time_machine

from egisz.common.audit.models import AuditEvent
from egisz.common.codes import budgets as budget_service
from egisz.common.codes import services as codes
from egisz.common.codes.models import OneTimeCode, SmsBudgetCounter
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


# --- Budgets of SMS codes to numbers not confirmed before (SMS pumping) -------------------

DAY_START = datetime.datetime(2026, 5, 4, 0, 0, tzinfo=datetime.UTC)


def send_to_new_number(target, account="", purpose="registration"):
    codes.send_code(
        purpose=purpose,
        target=target,
        channel="sms",
        text="Код: {code}",
        unconfirmed=True,
        account=account,
    )


def sms_count(target=None) -> int:
    messages = Message.objects.filter(channel="sms")
    return (messages.filter(recipient=target) if target else messages).count()


@pytest.fixture
def budgets(settings):
    """Budgets far apart, so that each test meets only the one it is about."""
    settings.OTP_MAX_PER_HOUR = 100
    settings.SMS_BUDGET_PER_ACCOUNT = "100/d"
    settings.SMS_BUDGET_PER_NUMBER = "100/d"
    settings.SMS_BUDGET_PER_PREFIX = "100/h"
    settings.SMS_BUDGET_GLOBAL = "100/h"
    return settings


def numbers(count, prefix="+7916555"):
    return [f"{prefix}{n:04d}" for n in range(count)]


def test_one_number_gets_at_most_its_daily_budget_until_the_next_day(budgets):
    budgets.SMS_BUDGET_PER_NUMBER = "3/d"
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(3):
            send_to_new_number(PHONE)
            clock.shift(datetime.timedelta(minutes=2))  # past the resend interval
        with pytest.raises(codes.CodeRefused) as refused:
            send_to_new_number(PHONE)
        # The day (UTC) ends at midnight: 10:06 → 24:00 is 13 h 54 min.
        assert refused.value.retry_after == 13 * 3600 + 54 * 60
        assert refused.value.message == (
            "Слишком много запросов кода на этот номер. Попробуйте снова через 14 ч."
        )
        assert sms_count(PHONE) == 3
        send_to_new_number("+79035550000")  # another number is not held back
        clock.move_to(DAY_START + datetime.timedelta(days=1, minutes=1))
        send_to_new_number(PHONE)
    assert sms_count(PHONE) == 4


def test_a_number_prefix_gets_at_most_its_hourly_budget(budgets):
    """Pumping walks a range of numbers: the first 7 digits (country, operator code, range)
    share one budget."""
    budgets.SMS_BUDGET_PER_PREFIX = "4/h"
    with time_machine.travel(START + datetime.timedelta(minutes=15), tick=False) as clock:
        for target in numbers(4, prefix="+7916555"):
            send_to_new_number(target)
        with pytest.raises(codes.CodeRefused) as refused:
            send_to_new_number("+79165559999")
        assert refused.value.retry_after == 45 * 60
        assert (
            refused.value.message == "Слишком много запросов кода. Попробуйте снова через 45 мин."
        )
        send_to_new_number("+79165569999")  # the next range of 10 000 numbers is another prefix
        clock.shift(datetime.timedelta(minutes=45))
        send_to_new_number("+79165559999")
    assert sms_count() == 6


def test_an_account_gets_at_most_its_budget_whatever_numbers_it_types(budgets):
    budgets.SMS_BUDGET_PER_ACCOUNT = "2/d"
    with time_machine.travel(START, tick=False):
        first, second, third = "+79035550001", "+79265550002", "+79855550003"
        send_to_new_number(first, account="patient:1")
        send_to_new_number(second, account="patient:1")
        with pytest.raises(codes.CodeRefused) as refused:
            send_to_new_number(third, account="patient:1")
        assert refused.value.message.startswith(
            "Слишком много запросов кода из вашей учётной записи. Попробуйте снова через"
        )
        send_to_new_number(third, account="patient:2")
    assert sms_count() == 3


def test_the_global_ceiling_alerts_the_operator_once_per_hour(budgets):
    budgets.SMS_BUDGET_GLOBAL = "3/h"
    operators = ["+79035550000", "+79265550000", "+79855550000", "+79995550000", "+79515550000"]
    with time_machine.travel(START, tick=False) as clock:
        for target in operators[:3]:
            send_to_new_number(target)
        for target in operators[3:]:
            with pytest.raises(codes.CodeRefused) as refused:
                send_to_new_number(target)
            assert refused.value.message.startswith("Слишком много запросов кода. Попробуйте")
        alerts = AuditEvent.objects.filter(action="alert.sms_ceiling_reached")
        assert alerts.count() == 1, "one alert, not one per refused SMS"
        alert = alerts.get()
        assert alert.result == AuditEvent.Result.FAILURE
        assert alert.details["limit"] == 3
        assert alert.details["period_start"] == "2026-05-04T10:00:00+00:00"
        assert sms_count() == 3

        clock.shift(datetime.timedelta(hours=1))
        for target in operators[:3]:
            send_to_new_number(target, purpose="other")
        with pytest.raises(codes.CodeRefused):
            send_to_new_number(operators[3], purpose="other")
        assert alerts.count() == 2, "the next hour that runs out alerts again"
    assert sms_count() == 6


def test_codes_to_confirmed_numbers_are_not_held_back_by_the_budgets(budgets):
    """A login or recovery code goes to the account's own, confirmed number: pumping of new
    numbers must not lock people out of their accounts."""
    budgets.SMS_BUDGET_GLOBAL = "1/h"
    with time_machine.travel(START, tick=False):
        send_to_new_number("+79035550000")
        with pytest.raises(codes.CodeRefused):
            send_to_new_number("+79265550000")
        send(purpose="login")
    assert sms_count(PHONE) == 1


def test_a_refused_code_spends_nothing_and_opens_no_code(budgets):
    budgets.SMS_BUDGET_PER_PREFIX = "1/h"
    with time_machine.travel(START, tick=False):
        send_to_new_number("+79165550000")
        for _ in range(3):
            with pytest.raises(codes.CodeRefused):
                send_to_new_number("+79165550001")
        # Only the code that went out exists, and the refused number's own budget is whole.
        assert list(OneTimeCode.objects.values_list("target", flat=True)) == ["+79165550000"]
        counted = SmsBudgetCounter.objects.filter(scope="number", key="+79165550001")
        assert not counted.exists()
        assert SmsBudgetCounter.objects.get(scope="global").count == 1


def test_resend_rules_come_first_and_a_throttled_request_spends_no_budget(budgets):
    budgets.SMS_BUDGET_PER_NUMBER = "2/d"
    with time_machine.travel(START, tick=False) as clock:
        send_to_new_number(PHONE)
        for _ in range(5):
            with pytest.raises(codes.CodeRefused) as refused:
                send_to_new_number(PHONE)  # within the 60 s resend interval
            assert refused.value.message == ""  # the caller words the wait
        clock.shift(datetime.timedelta(seconds=61))
        send_to_new_number(PHONE)
    assert sms_count(PHONE) == 2


def test_spent_counters_are_purged_after_their_period(budgets):
    with time_machine.travel(START, tick=False) as clock:
        send_to_new_number(PHONE, account="patient:1")
        assert SmsBudgetCounter.objects.count() == 4
        clock.shift(datetime.timedelta(hours=2, seconds=1))
        assert budget_service.purge_spent_counters() == 2  # the hourly prefix and global
        clock.shift(datetime.timedelta(days=1))
        assert budget_service.purge_spent_counters() == 2
    assert not SmsBudgetCounter.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sends_at_once_from_many_processes_stay_within_the_budget(postgres_only, budgets):
    """Counters are raised in SQL: concurrent senders never both take the last unit."""
    import threading

    from django.db import connections

    budgets.SMS_BUDGET_PER_PREFIX = "5/h"
    targets = numbers(12)
    barrier = threading.Barrier(len(targets))
    outcomes = []

    def sender(target):
        try:
            barrier.wait()
            send_to_new_number(target)
            outcomes.append("sent")
        except codes.CodeRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender, args=(target,)) for target in targets]
    with time_machine.travel(START, tick=False):
        send_to_new_number("+79165550100")  # the counters exist: the race is on raising them
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(outcomes) == ["refused"] * 8 + ["sent"] * 4
    assert sms_count() == 5
