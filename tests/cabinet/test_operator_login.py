"""The operator console's login, step 1 (/operator/login/): Django's admin form behind a
per-IP throttle and a per-username lockout, every attempt in the audit journal. Right
credentials lead on to the SMS code (tests/cabinet/staff/test_login_code.py covers that
step); a member of staff is logged in only after both.

Each test has its own client address and its own usernames, so counters kept in a shared
cache (Redis) by an earlier run never leak into this one.
"""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from egisz.common.audit.models import AuditEvent
from tests.cabinet.staff.helpers import (
    CODE,
    LOGIN,
    PASSWORD,
    assert_refused,
    attempt,
    code_sent_to,
    enter_code,
    events,
    log_in,
    logged_in_as_staff,
    make_staff,
    new_browser,
    unique_name,
)


@pytest.fixture
def browser():
    return new_browser()


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def passes_password_step(response) -> bool:
    return response.status_code == 302 and response["Location"] == CODE


# --- the journal ---------------------------------------------------------------------------


def test_a_staff_login_takes_both_steps_and_is_journalled_once(browser, staff):
    page = browser.get(LOGIN)
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()

    response = attempt(browser, staff.username, PASSWORD)

    assert passes_password_step(response)
    assert not logged_in_as_staff(browser)
    assert not events("cabinet.staff_login")  # the password alone is not a login

    response = enter_code(browser, code_sent_to(staff.staff_profile.phone))

    assert response.status_code == 302 and response["Location"] == "/operator/"
    assert logged_in_as_staff(browser)
    [event] = events("cabinet.staff_login")
    assert event.actor_id == str(staff.pk) and event.result == "success"
    assert event.details == {"factors": "password+sms"}
    assert event.ip == browser.defaults["REMOTE_ADDR"]
    assert not events("cabinet.staff_login_failed")


def test_a_failure_is_journalled_with_the_username_and_never_the_password(browser, staff):
    wrong = "Wrong#Secret-Value-9081"
    response = attempt(browser, staff.username, wrong)

    assert response.status_code == 200  # the admin's form, with its error
    assert "Пожалуйста, введите корректные" in response.content.decode()
    assert not logged_in_as_staff(browser)
    assert not events("cabinet.staff_login_code_sent")
    [event] = events("cabinet.staff_login_failed")
    assert event.result == "failure"
    assert event.details == {"username": staff.username, "reason": "bad_credentials"}
    assert event.ip == browser.defaults["REMOTE_ADDR"]
    everything = json.dumps(
        [[e.action, e.details, e.user_agent] for e in AuditEvent.objects.all()],
        ensure_ascii=False,
    )
    assert wrong not in everything and PASSWORD not in everything


def test_the_username_in_the_journal_is_truncated(browser, db):
    attempt(browser, "x" * 500, "Some#Password-1")
    [event] = events("cabinet.staff_login_failed")
    assert event.details["username"] == "x" * 64


def test_neither_the_password_nor_the_code_reaches_the_journal(browser, staff):
    log_in(browser, staff)
    code = code_sent_to(staff.staff_profile.phone)
    browser.post("/operator/logout/")
    everything = json.dumps([e.details for e in AuditEvent.objects.all()], ensure_ascii=False)
    assert PASSWORD not in everything and code not in everything


def test_a_staff_logout_is_journalled(browser, staff):
    log_in(browser, staff)
    response = browser.post("/operator/logout/")
    assert response.status_code == 200
    assert not logged_in_as_staff(browser)
    [event] = events("cabinet.staff_logout")
    assert event.actor_id == str(staff.pk)


def test_a_patients_login_and_logout_elsewhere_are_not_staff_events(patient_client):
    patient_client.logout()
    assert not AuditEvent.objects.filter(action__startswith="cabinet.staff_").exists()


def test_an_empty_password_is_journalled_but_does_not_count(browser, staff):
    for _ in range(6):
        response = attempt(browser, staff.username, "")
        assert response.status_code == 200
    assert {e.details["reason"] for e in events("cabinet.staff_login_failed")} == {"incomplete"}
    assert passes_password_step(attempt(browser, staff.username, PASSWORD))


def test_an_inactive_member_of_staff_is_refused_at_the_password(browser, db):
    user = make_staff(is_active=False)
    response = attempt(browser, user.username, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in browser.session
    assert not events("cabinet.staff_login_code_sent")


# --- patients ------------------------------------------------------------------------------


def test_a_patient_cannot_log_in_at_the_console(browser, patient, staff):
    assert not patient.user.has_usable_password()
    response = attempt(browser, patient.user.username, "")
    assert response.status_code == 200
    response = attempt(browser, patient.user.username, "Any#Password-2026")
    assert response.status_code == 200
    assert not logged_in_as_staff(browser)
    assert "_auth_user_id" not in browser.session
    assert not events("cabinet.staff_login")
    assert events("cabinet.staff_login_failed")[-1].details["username"] == patient.user.username

    # A member of staff still logs in normally afterwards, from the same address.
    assert log_in(browser, staff).status_code == 302
    assert logged_in_as_staff(browser)


def test_a_non_staff_user_with_a_right_password_is_refused_and_journalled(browser, db):
    user = get_user_model().objects.create_user(username=unique_name("plain"), password=PASSWORD)
    response = attempt(browser, user.username, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in browser.session
    [event] = events("cabinet.staff_login_failed")
    assert event.details == {"username": user.username, "reason": "not_staff"}
    assert not events("cabinet.staff_login")
    assert not events("cabinet.staff_login_code_sent")


# --- throttling per IP ---------------------------------------------------------------------


def test_the_eleventh_attempt_from_one_ip_in_ten_minutes_gets_429(browser, staff, clock):
    for _ in range(10):
        assert attempt(browser, unique_name("nobody"), "Wrong#Password-1").status_code == 200
    # The clock stands still: django-ratelimit counts in fixed 10-minute windows, so eleven
    # attempts spread over ten minutes may straddle two of them.

    response = attempt(browser, staff.username, PASSWORD)  # even with the right password

    assert_refused(response)
    assert not logged_in_as_staff(browser)
    assert not events("cabinet.staff_login_code_sent")
    assert events("cabinet.staff_login_failed")[-1].details["reason"] == "rate_limited"
    # Another address is not affected, and GET (the form) is never throttled.
    elsewhere = new_browser()
    assert attempt(elsewhere, unique_name("nobody"), "Wrong#Password-1").status_code == 200
    assert browser.get(LOGIN).status_code == 200

    clock.shift(timedelta(minutes=11))
    assert log_in(browser, staff).status_code == 302
    assert logged_in_as_staff(browser)


# --- lockout per username ------------------------------------------------------------------


def test_five_failures_lock_the_username_for_thirty_minutes(staff, clock):
    for _ in range(5):
        # A new address each time: the lockout follows the username, not the client.
        response = attempt(new_browser(), staff.username, "Wrong#Password-1")
        assert response.status_code == 200
    [locked] = events("cabinet.staff_login_locked")
    assert locked.details["username"] == staff.username

    browser = new_browser()
    assert_refused(attempt(browser, staff.username, PASSWORD))  # the right password too
    assert not logged_in_as_staff(browser)
    assert not events("cabinet.staff_login_code_sent")
    assert events("cabinet.staff_login_failed")[-1].details["reason"] == "locked"

    clock.shift(timedelta(minutes=29, seconds=59))
    assert_refused(attempt(browser, staff.username, PASSWORD))

    clock.shift(timedelta(seconds=2))
    assert log_in(browser, staff).status_code == 302
    assert logged_in_as_staff(browser)


def test_an_unknown_username_locks_the_same_way(browser, staff, clock):
    unknown = unique_name("nobody")
    answers = [attempt(browser, unknown, "Wrong#Password-1") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert_refused(attempt(browser, unknown, "Wrong#Password-1"))
    assert events("cabinet.staff_login_locked")[-1].details["username"] == unknown

    clock.shift(timedelta(minutes=30, seconds=1))
    assert attempt(browser, unknown, "Wrong#Password-1").status_code == 200
    # Other usernames were never locked.
    assert passes_password_step(attempt(browser, staff.username, PASSWORD))


def test_the_lockout_ignores_letter_case_and_spaces(browser, staff, clock):
    for _ in range(5):
        attempt(browser, f"  {staff.username.upper()} ", "Wrong#Password-1")
    assert_refused(attempt(browser, staff.username, PASSWORD))


def full_width(text: str, every: int = 1, offset: int = 0) -> str:
    """``text`` with some of its letters in full-width forms («ｏperator»), which Django's
    login form reads as the plain ones (NFKC)."""
    return "".join(
        chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() and i % every == offset else ch
        for i, ch in enumerate(text)
    )


def test_a_full_width_spelling_logs_in_as_the_user_and_shares_the_lockout(browser, staff, clock):
    assert passes_password_step(attempt(new_browser(), full_width(staff.username), PASSWORD))
    for n in range(5):  # five spellings, one user
        attempt(new_browser(), full_width(staff.username, every=5, offset=n), "Wrong#Password-1")
    assert_refused(attempt(browser, staff.username, PASSWORD))
    assert_refused(attempt(new_browser(), full_width(staff.username), PASSWORD))


def test_a_locked_username_is_not_unlocked_by_full_width_letters(browser, staff, clock):
    for _ in range(5):
        attempt(new_browser(), staff.username, "Wrong#Password-1")
    assert_refused(attempt(browser, full_width(staff.username, every=2), PASSWORD))
    assert not events("cabinet.staff_login_code_sent")


def test_failures_further_apart_than_thirty_minutes_do_not_lock(browser, staff, clock):
    for _ in range(4):
        attempt(browser, staff.username, "Wrong#Password-1")
    clock.shift(timedelta(minutes=30, seconds=1))
    attempt(browser, staff.username, "Wrong#Password-1")
    assert passes_password_step(attempt(browser, staff.username, PASSWORD))
    assert not events("cabinet.staff_login_locked")


def test_only_the_whole_login_clears_the_failures(browser, staff, clock):
    for _ in range(4):
        attempt(browser, staff.username, "Wrong#Password-1")
    # The right password alone does not clear them: one more failure locks.
    assert passes_password_step(attempt(browser, staff.username, PASSWORD))
    attempt(browser, staff.username, "Wrong#Password-1")
    assert_refused(attempt(browser, staff.username, PASSWORD))


def test_a_successful_login_clears_the_failures(browser, staff, clock):
    for _ in range(4):
        attempt(browser, staff.username, "Wrong#Password-1")
    assert log_in(browser, staff).status_code == 302
    browser.post("/operator/logout/")
    clock.shift(timedelta(minutes=10, seconds=1))  # past the IP window
    for _ in range(4):
        assert attempt(browser, staff.username, "Wrong#Password-1").status_code == 200
    assert passes_password_step(attempt(browser, staff.username, PASSWORD))


# --- CSRF ----------------------------------------------------------------------------------


def test_csrf_is_still_required_at_both_steps(staff):
    browser = new_browser(enforce_csrf_checks=True)
    assert attempt(browser, staff.username, PASSWORD).status_code == 403
    browser.get(LOGIN)
    token = browser.cookies["egisz_cabinet_csrftoken"].value
    response = browser.post(
        LOGIN,
        {"username": staff.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert passes_password_step(response)
    code = code_sent_to(staff.staff_profile.phone)
    assert enter_code(browser, code).status_code == 403
    assert browser.post("/operator/login/code/resend/").status_code == 403
    response = browser.post(CODE, {"code": code, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert [e.actor_id for e in events("cabinet.staff_login")] == [str(staff.pk)]
