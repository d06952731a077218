"""The operator console's login, step 2 (/operator/login/code/): after the password, an SMS
code to the staff member's phone; only both log in. The code follows the shared rules
(egisz.common.codes): valid 5 minutes, 3 wrong tries burn it, a new one after 60 s."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from egisz.cabinet.staff.services import LOGIN_CODE_PURPOSE
from egisz.common.codes.models import OneTimeCode

from .helpers import (
    CODE,
    LOGIN,
    NO_PHONE,
    PASSWORD,
    RESEND,
    assert_refused,
    attempt,
    code_sent_to,
    enter_code,
    events,
    last_sms,
    log_in,
    logged_in_as_staff,
    make_staff,
    new_browser,
    wrong_code,
)

EXPIRED_STEP = "Время на вход истекло. Начните заново."


def phone_of(user) -> str:
    return user.staff_profile.phone


def sms_count(user) -> int:
    return OneTimeCode.objects.filter(target=phone_of(user), purpose=LOGIN_CODE_PURPOSE).count()


def to_code_step(browser, user, next_url="/operator/"):
    response = attempt(browser, user.get_username(), PASSWORD, next_url)
    assert response.status_code == 302 and response["Location"] == CODE
    return code_sent_to(phone_of(user))


def assert_sent_back_to_login(response):
    assert response.status_code == 302 and response["Location"] == LOGIN


# --- the whole login -----------------------------------------------------------------------


def test_the_password_sends_an_sms_code_and_the_code_logs_in(browser, db):
    staff = make_staff(phone="+7 916 222-00-07")
    response = attempt(browser, staff.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == CODE
    assert "_auth_user_id" not in browser.session

    sms = last_sms("+79162220007")
    code = code_sent_to("+79162220007")
    assert sms.body == (
        f"ЕГИСЗ: код {code} для входа в консоль оператора. Никому его не сообщайте."
    )
    [sent] = events("cabinet.staff_login_code_sent")
    assert sent.actor_id == str(staff.pk)
    assert sent.details == {"phone": "+7 916 ***-**-07", "resend": False}

    page = browser.get(CODE).content.decode()
    assert "Мы отправили SMS с кодом на номер +7 916 ***-**-07" in page
    assert "Код подтверждения" in page and "Подтвердить" in page
    assert "Отправить код ещё раз" in page
    assert "222-00-07" not in page and "2220007" not in page

    key_before = browser.session.session_key
    response = enter_code(browser, code)

    assert response.status_code == 302 and response["Location"] == "/operator/"
    assert browser.session.session_key != key_before  # a new session key for the login
    assert browser.session["_auth_user_id"] == str(staff.pk)
    assert logged_in_as_staff(browser)
    [login] = events("cabinet.staff_login")
    assert login.actor_id == str(staff.pk)
    # The code is used up: it logs nobody in twice.
    assert OneTimeCode.objects.get(target="+79162220007").used_at is not None


def test_the_password_step_moves_the_session_to_a_new_key(browser, staff):
    key_before = browser.session.session_key  # the test client opens a session
    assert key_before
    to_code_step(browser, staff)
    assert browser.session.session_key != key_before
    assert "egisz_operator_login_pending" in browser.session


@pytest.mark.parametrize(
    "url",
    [
        "/operator/",
        "/operator/auth/user/",
        "/operator/auth/group/",
        "/operator/cabinet_organizations/attachment/",
        "/operator/cabinet_patients/patient/",
        "/operator/cabinet_profile/correctionrequest/",
        "/operator/cabinet_staff/staffprofile/",
        "/operator/password_change/",
    ],
)
def test_the_password_alone_opens_no_admin_page(browser, db, url):
    superuser = make_staff(is_superuser=True)
    to_code_step(browser, superuser)

    response = browser.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in browser.session


# --- no pending step 1 ---------------------------------------------------------------------


def test_the_code_page_without_the_password_step_sends_back_to_the_login(browser, staff):
    assert_sent_back_to_login(browser.get(CODE))
    assert_sent_back_to_login(enter_code(browser, "123456"))
    assert_sent_back_to_login(browser.post(RESEND))
    assert sms_count(staff) == 0
    assert not events("cabinet.staff_login_code_refused")


def test_the_pending_login_belongs_to_its_browser_only(browser, staff):
    code = to_code_step(browser, staff)
    stranger = new_browser()

    assert_sent_back_to_login(stranger.get(CODE))
    assert_sent_back_to_login(enter_code(stranger, code))
    assert_sent_back_to_login(stranger.post(RESEND))
    assert "_auth_user_id" not in stranger.session
    assert sms_count(staff) == 1

    assert enter_code(browser, code).status_code == 302
    assert logged_in_as_staff(browser)
    assert not logged_in_as_staff(stranger)


def test_the_pending_login_lasts_five_minutes(browser, staff, clock):
    code = to_code_step(browser, staff)
    clock.shift(timedelta(minutes=5, seconds=1))

    response = enter_code(browser, code)

    assert_sent_back_to_login(response)
    assert "_auth_user_id" not in browser.session
    assert EXPIRED_STEP in browser.get(LOGIN).content.decode()
    assert_sent_back_to_login(browser.get(CODE))  # gone for good


def test_a_code_entered_within_five_minutes_logs_in(browser, staff, clock):
    code = to_code_step(browser, staff)
    clock.shift(timedelta(minutes=4, seconds=59))
    assert enter_code(browser, code).status_code == 302
    assert logged_in_as_staff(browser)


def test_a_member_of_staff_deactivated_meanwhile_is_not_logged_in(browser, staff):
    code = to_code_step(browser, staff)
    get_user_model().objects.filter(pk=staff.pk).update(is_active=False)
    assert_sent_back_to_login(enter_code(browser, code))
    assert "_auth_user_id" not in browser.session


# --- wrong, expired and burnt codes --------------------------------------------------------


def test_wrong_codes_are_told_and_three_burn_the_code(browser, staff):
    code = to_code_step(browser, staff)
    answers = [enter_code(browser, wrong_code(code)) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 400]
    assert "Неверный код. Осталось 2 попытки." in answers[0].content.decode()
    assert "Неверный код. Осталась 1 попытка." in answers[1].content.decode()
    assert "Код введён неверно слишком много раз. Запросите новый код." in (
        answers[2].content.decode()
    )

    response = enter_code(browser, code)  # the right digits, too late

    assert response.status_code == 400
    assert "Код недействителен. Запросите новый код." in response.content.decode()
    assert "_auth_user_id" not in browser.session
    reasons = [e.details["reason"] for e in events("cabinet.staff_login_code_refused")]
    assert reasons == ["wrong", "wrong", "exhausted", "missing"]
    assert all(e.actor_id == str(staff.pk) for e in events("cabinet.staff_login_code_refused"))


def test_an_empty_code_is_told_next_to_the_field(browser, staff):
    to_code_step(browser, staff)
    response = enter_code(browser, "")
    assert response.status_code == 400
    assert "field--error" in response.content.decode()
    assert not events("cabinet.staff_login_code_refused")


def test_an_expired_code_is_refused_and_a_new_one_works(browser, staff, clock, settings):
    settings.OTP_LIFETIME_SECONDS = 60
    code = to_code_step(browser, staff)
    clock.shift(timedelta(seconds=61))

    response = enter_code(browser, code)

    assert response.status_code == 400
    assert "Срок действия кода истёк. Запросите новый код." in response.content.decode()
    assert events("cabinet.staff_login_code_refused")[-1].details["reason"] == "expired"

    assert browser.post(RESEND)["Location"] == CODE
    new_code = code_sent_to(phone_of(staff))
    assert enter_code(browser, new_code).status_code == 302
    assert logged_in_as_staff(browser)


# --- resending -----------------------------------------------------------------------------


def test_a_new_code_only_after_the_resend_interval(browser, staff, clock):
    first = to_code_step(browser, staff)

    response = browser.post(RESEND)

    assert response.status_code == 302 and response["Location"] == CODE
    assert sms_count(staff) == 1
    page = browser.get(CODE).content.decode()
    assert re.search(r"Новый код можно запросить через (60|61) с\.", page)
    [refusal] = events("cabinet.staff_login_code_not_sent")
    assert refusal.details["reason"] == "throttled" and refusal.result == "failure"
    # The notice is shown once, and the first code still works meanwhile...
    assert "Новый код можно запросить" not in browser.get(CODE).content.decode()

    clock.shift(timedelta(seconds=61))
    browser.post(RESEND)
    assert sms_count(staff) == 2
    second = code_sent_to(phone_of(staff))
    assert events("cabinet.staff_login_code_sent")[-1].details["resend"] is True
    # ...but a new code replaces it.
    if second != first:
        assert enter_code(browser, first).status_code == 400
    assert enter_code(browser, second).status_code == 302
    assert logged_in_as_staff(browser)


def test_repeating_the_password_step_at_once_keeps_the_first_code(browser, staff):
    first = to_code_step(browser, staff)
    response = attempt(browser, staff.username, PASSWORD)
    assert response["Location"] == CODE
    assert sms_count(staff) == 1
    assert "Новый код можно запросить через" in browser.get(CODE).content.decode()
    assert enter_code(browser, first).status_code == 302


# --- lockout and throttling ----------------------------------------------------------------


def test_wrong_codes_count_toward_the_username_lockout(browser, staff, clock):
    code = to_code_step(browser, staff)
    for _ in range(3):
        enter_code(browser, wrong_code(code))
    clock.shift(timedelta(seconds=61))
    browser.post(RESEND)
    code = code_sent_to(phone_of(staff))
    assert enter_code(browser, wrong_code(code)).status_code == 400

    response = enter_code(browser, wrong_code(code))  # the fifth wrong code

    assert_refused(response)
    [locked] = events("cabinet.staff_login_locked")
    assert locked.details["username"] == staff.username
    assert_sent_back_to_login(browser.get(CODE))  # the pending login is gone
    # The right password from anywhere is refused now, for 30 minutes.
    elsewhere = new_browser()
    assert_refused(attempt(elsewhere, staff.username, PASSWORD))
    clock.shift(timedelta(minutes=30, seconds=1))
    assert log_in(elsewhere, staff).status_code == 302
    assert logged_in_as_staff(elsewhere)


def test_wrong_passwords_and_wrong_codes_add_up(browser, staff):
    for _ in range(2):
        attempt(browser, staff.username, "Wrong#Password-1")
    code = to_code_step(browser, staff)
    enter_code(browser, wrong_code(code))
    enter_code(browser, wrong_code(code))
    assert_refused(enter_code(browser, wrong_code(code)))
    assert events("cabinet.staff_login_locked")


def test_a_username_locked_meanwhile_cannot_finish_with_the_right_code(browser, staff):
    code = to_code_step(browser, staff)
    for _ in range(5):
        attempt(new_browser(), staff.username, "Wrong#Password-1")

    assert_refused(enter_code(browser, code))

    assert "_auth_user_id" not in browser.session
    assert events("cabinet.staff_login_failed")[-1].details["reason"] == "locked"


def test_an_expired_or_burnt_code_does_not_count_toward_the_lockout(browser, staff):
    code = to_code_step(browser, staff)
    for _ in range(3):
        enter_code(browser, wrong_code(code))
    for _ in range(5):
        enter_code(browser, code)  # "missing": no digits were checked
    assert not events("cabinet.staff_login_locked")


def test_code_checks_are_throttled_per_address(browser, staff, clock, settings):
    settings.CODE_IP_RATE = "3/10m"
    code = to_code_step(browser, staff)
    enter_code(browser, wrong_code(code))
    enter_code(browser, wrong_code(code))
    browser.post(RESEND)  # resends count too

    response = enter_code(browser, code)  # the right code, one check too many

    assert_refused(response)
    assert "_auth_user_id" not in browser.session
    assert events("cabinet.staff_login_code_refused")[-1].details["reason"] == "rate_limited"
    assert_refused(browser.post(RESEND))
    # Another address is not affected.
    other = make_staff()
    elsewhere = new_browser()
    assert log_in(elsewhere, other).status_code == 302


# --- where the login goes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        (
            "/operator/cabinet_organizations/attachment/",
            "/operator/cabinet_organizations/attachment/",
        ),
        ("/operator/auth/user/?q=a", "/operator/auth/user/?q=a"),
        ("https://evil.example/operator/", "/operator/"),
        ("//evil.example/operator/", "/operator/"),
        ("/\\evil.example/operator/", "/operator/"),
        ("http://testserver/operator/auth/", "/operator/"),
        ("javascript:alert(1)", "/operator/"),
        ("", "/operator/"),
        (None, "/operator/"),
    ],
)
def test_the_login_goes_to_next_only_when_it_is_a_local_path(browser, staff, next_url, lands_on):
    response = log_in(browser, staff, next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == lands_on


def test_next_from_the_admins_redirect_survives_both_steps(browser, staff):
    response = browser.get("/operator/cabinet_organizations/attachment/")
    login_page = response["Location"]
    assert login_page == "/operator/login/?next=/operator/cabinet_organizations/attachment/"
    page = browser.get(login_page).content.decode()
    assert 'name="next" value="/operator/cabinet_organizations/attachment/"' in page
    bad = browser.get(f"{LOGIN}?next=https://evil.example/").content.decode()
    assert "evil.example" not in bad
    assert 'name="next" value="/operator/"' in bad

    browser.post(login_page, {"username": staff.username, "password": PASSWORD})
    response = enter_code(browser, code_sent_to(phone_of(staff)))
    assert response["Location"] == "/operator/cabinet_organizations/attachment/"


# --- no phone ------------------------------------------------------------------------------


def test_a_member_of_staff_without_a_phone_cannot_log_in(browser, db):
    staff = make_staff(phone=None)

    response = attempt(browser, staff.username, PASSWORD)

    assert response.status_code == 403
    assert NO_PHONE in response.content.decode()
    assert "_auth_user_id" not in browser.session
    assert_sent_back_to_login(browser.get(CODE))
    assert not OneTimeCode.objects.exists()
    [event] = events("cabinet.staff_login_failed")
    assert event.details == {"username": staff.username, "reason": "no_phone"}
    # Not a guess: the password was right, so it does not lock the username.
    for _ in range(5):
        attempt(browser, staff.username, PASSWORD)
    assert not events("cabinet.staff_login_locked")


def test_a_phone_taken_away_after_the_password_step_ends_the_login(browser, staff):
    code = to_code_step(browser, staff)
    staff.staff_profile.phone = ""
    staff.staff_profile.save()

    response = enter_code(browser, code)

    assert_sent_back_to_login(response)
    assert NO_PHONE in browser.get(LOGIN).content.decode()
    assert "_auth_user_id" not in browser.session
    assert events("cabinet.staff_login_failed")[-1].details["reason"] == "no_phone"
