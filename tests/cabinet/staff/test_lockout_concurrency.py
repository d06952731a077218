"""The console's username lockout on PostgreSQL: parallel guesses are each counted and no
more than the threshold are checked, and an attempt in flight when the username is locked
is refused after it, even with the right password or code."""

from django.conf import settings
from django.db import transaction

from egisz.cabinet.staff import lockout
from egisz.common.request_meta import SYSTEM
from tests.cabinet.concurrency import (
    POSTGRES_RACE,
    in_thread,
    race,
    wait_until_blocked_on_a_row_lock,
)
from tests.cabinet.staff.helpers import (
    CODE,
    PASSWORD,
    attempt,
    code_sent_to,
    enter_code,
    events,
    logged_in_as_staff,
    make_staff,
    new_browser,
)

pytestmark = POSTGRES_RACE

GUESSES = 8


def test_parallel_wrong_passwords_never_exceed_the_threshold():
    staff = make_staff()
    answers = race(
        *[
            (lambda: attempt(new_browser(), staff.username, "Wrong#Password1").status_code)
            for _ in range(GUESSES)
        ]
    )
    threshold = settings.OPERATOR_LOCKOUT_THRESHOLD
    assert sorted(answers) == [200] * threshold + [429] * (GUESSES - threshold)
    assert len(events("cabinet.staff_login_locked")) == 1


def _lock_while(username, request_in_flight):
    """Locks ``username`` while ``request_in_flight`` waits for the lock row; returns what
    the request answered once the lock was committed."""
    with transaction.atomic():
        held = lockout.hold(username)
        join = in_thread(request_in_flight)
        wait_until_blocked_on_a_row_lock()
        for _ in range(settings.OPERATOR_LOCKOUT_THRESHOLD):
            lockout.count_failure(held, username, meta=SYSTEM)
    return join()


def test_the_right_password_in_flight_when_the_lock_is_set_is_refused():
    staff = make_staff()
    browser = new_browser()
    response = _lock_while(staff.username, lambda: attempt(browser, staff.username, PASSWORD))
    assert response.status_code == 429
    assert not logged_in_as_staff(browser)


def test_the_right_code_in_flight_when_the_lock_is_set_is_refused():
    staff = make_staff()
    browser = new_browser()
    assert attempt(browser, staff.username, PASSWORD)["Location"] == CODE
    code = code_sent_to(staff.staff_profile.phone)
    response = _lock_while(staff.username, lambda: enter_code(browser, code))
    assert response.status_code == 429
    assert not logged_in_as_staff(browser)
    assert not events("cabinet.staff_login")
