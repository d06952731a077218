"""The two-step login: password, then a one-time code; lockout; throttling; required actions."""

import datetime
import re
from unittest import mock

import pyotp
import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.test import override_settings
from django.utils import timezone

from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from egisz.idp.accounts.hashers import ConfiguredArgon2Hasher
from egisz.idp.accounts.models import Account, Level
from egisz.idp.authn import totp
from egisz.idp.authn.models import AccountSession, LoginAttempt
from egisz.idp.authn.sessions import active_sessions

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def latest_code(phone: str) -> str:
    message = Message.objects.filter(channel="sms", recipient=phone).order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def submit_password(client, identifier, password, **extra):
    return client.post("/login/", {"identifier": identifier, "password": password, **extra})


def full_login(client, account, password, identifier=None):
    response = submit_password(client, identifier or account.phone, password)
    assert response.status_code == 302 and response["Location"] == "/login/code/"
    return client.post("/login/code/", {"code": latest_code(account.phone)})


def test_password_then_sms_code_logs_in_and_records_session_and_journal(
    client, make_account, password
):
    account = make_account()
    response = submit_password(client, account.phone, password)
    assert response.status_code == 302
    # Half-way the person is not logged in: the second step is always required.
    assert client.get("/").status_code == 302
    page = client.get("/login/code/")
    assert "+7 916 ***-**-" in page.content.decode()
    response = client.post("/login/code/", {"code": latest_code(account.phone)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(account.pk)
    session = AccountSession.objects.get(account=account)
    assert session.method == "pwd+sms" and session.ip == "127.0.0.1"
    attempt = LoginAttempt.objects.get(account=account)
    assert (attempt.result, attempt.method) == ("success", "pwd+sms")
    assert AuditEvent.objects.filter(action="login.success", subject_id=str(account.pk)).exists()


@pytest.mark.parametrize(
    "typed",
    [
        "+7 (916) 123-45-{n}",
        "8 916 12345{n}",
        "8916-123-45-{n}",
        "ivanova@example.ru",
        "112-233-445 95",
    ],
)
def test_identifier_in_any_usual_format(client, make_account, password, typed):
    account = make_account(
        email="Ivanova@Example.ru", email_confirmed=True, snils="11223344595", level=Level.STANDARD
    )
    identifier = typed.format(n=account.phone[-2:])
    if "@" in typed:
        identifier = "ivanova@EXAMPLE.ru"
    response = submit_password(client, identifier, password)
    assert response.status_code == 302, identifier


def test_wrong_password_and_unknown_account_look_the_same(client, make_account):
    account = make_account()
    wrong = submit_password(client, account.phone, "Wrong#Password1")
    unknown = submit_password(client, "+7 999 000-00-00", "Wrong#Password1")
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert "Неверный логин или пароль" in response.content.decode()


def test_unknown_account_costs_one_password_hash_like_a_real_one(client, make_account):
    """Timing: an unknown identifier runs the same Argon2 check as a wrong password."""
    account = make_account()
    real_verify = ConfiguredArgon2Hasher.verify
    with mock.patch.object(
        ConfiguredArgon2Hasher, "verify", autospec=True, side_effect=real_verify
    ) as verify:
        submit_password(client, account.phone, "Wrong#Password1")
        known = verify.call_count
        submit_password(client, "+7 999 000-00-00", "Wrong#Password1")
    assert known == 1 and verify.call_count == 2


def test_five_failures_lock_the_account_for_thirty_minutes_and_tell_the_owner(
    client, make_account, password
):
    account = make_account(email="owner@example.ru", email_confirmed=True)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(4):
            assert submit_password(client, account.phone, "Wrong#Password1").status_code == 401
        response = submit_password(client, account.phone, "Wrong#Password1")
        assert response.status_code == 403
        text = response.content.decode()
        assert "временно заблокирована" in text and "30 минут" in text
        notice = Message.objects.get(recipient=account.phone, body__contains="заблокирован")
        assert "по номеру телефона вход по нему заблокирован до 12:30" in notice.body
        assert Message.objects.filter(recipient="owner@example.ru").exists()
        # Even the right password is refused while locked.
        assert submit_password(client, account.phone, password).status_code == 403
        clock.shift(datetime.timedelta(minutes=29))
        response = submit_password(client, account.phone, password)
        assert response.status_code == 403 and "1 минуту" in response.content.decode()
        clock.shift(datetime.timedelta(minutes=1, seconds=1))
        assert submit_password(client, account.phone, password).status_code == 302
    assert AuditEvent.objects.filter(action="account.locked", subject_id=str(account.pk)).exists()


@override_settings(LOCKOUT_THRESHOLD=3, LOCKOUT_MINUTES=10)
def test_lockout_threshold_and_duration_are_configurable(client, make_account, password):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(3):
            submit_password(client, account.phone, "Wrong#Password1")
        assert submit_password(client, account.phone, password).status_code == 403
        clock.shift(datetime.timedelta(minutes=10, seconds=1))
        assert submit_password(client, account.phone, password).status_code == 302


def test_a_success_resets_the_consecutive_failures(client, make_account, password):
    account = make_account()
    for _ in range(4):
        submit_password(client, account.phone, "Wrong#Password1")
    full_login(client, account, password)
    client.post("/logout/")
    for _ in range(4):
        assert submit_password(client, account.phone, "Wrong#Password1").status_code == 401


def test_unknown_identifier_is_locked_like_a_real_account(client):
    for _ in range(4):
        assert submit_password(client, "+7 999 000-00-01", "Wrong#Password1").status_code == 401
    response = submit_password(client, "+7 999 000-00-01", "Wrong#Password1")
    assert response.status_code == 403 and "временно заблокирована" in response.content.decode()


# --- What the lock tells an attacker: nothing ----------------------------------------------


def answers(client, identifiers, password="Wrong#Password1") -> list[tuple[int, str]]:
    """What a person sees for each attempt: the status and the page's message."""
    seen = []
    for identifier in identifiers:
        response = submit_password(client, identifier, password)
        text = response.content.decode()
        message = re.search(r'class="error-summary__message">([^<]*)<', text)
        seen.append((response.status_code, message.group(1) if message else ""))
    return seen


def spellings(phone: str) -> list[str]:
    """Five ways people type one mobile number."""
    n = phone[2:]
    return [
        phone,
        f"8 {n[:3]} {n[3:6]}-{n[6:8]}-{n[8:]}",
        f"+7 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}",
        f"8{n}",
        n,
    ]


def test_spellings_of_one_number_lock_it_whether_or_not_it_has_an_account(
    client, make_account, password
):
    account = make_account(phone="+79161234567")
    with time_machine.travel(START, tick=False):
        known = answers(client, spellings(account.phone))
        unknown = answers(client, spellings("+79161234599"))
        assert known == unknown
        assert [status for status, _message in known] == [401, 401, 401, 401, 403]
        assert "временно заблокирована" in unknown[-1][1]
        # Locked is locked, whatever the spelling and even with the right password.
        assert submit_password(client, "8-916-123-45-99", password).status_code == 403
        assert submit_password(client, "8 916 123 45 67", password).status_code == 403


def test_email_spellings_share_one_lock(client, make_account):
    make_account(email="Maria.Ivanova@example.ru", email_confirmed=True)
    typed = ["maria.ivanova@example.ru", "MARIA.IVANOVA@EXAMPLE.RU", " Maria.Ivanova@Example.ru "]
    unknown = ["olga.petrova@example.ru", "OLGA.PETROVA@EXAMPLE.RU", " Olga.Petrova@Example.ru "]
    with time_machine.travel(START, tick=False):
        seen = answers(client, typed + typed[:2])
        assert seen == answers(client, unknown + unknown[:2])
        assert [status for status, _message in seen] == [401, 401, 401, 401, 403]


def test_a_lock_on_the_phone_does_not_tell_which_email_and_snils_are_the_same_persons(
    client, make_account, password
):
    """The attacker locks a number, then tries an e-mail and a СНИЛС: the answers are the
    same as for an e-mail and a СНИЛС nobody has, so they link nothing to the number."""
    account = make_account(
        email="maria@example.ru", email_confirmed=True, snils="11223344595", level=Level.STANDARD
    )
    with time_machine.travel(START, tick=False) as clock:
        assert answers(client, [account.phone] * 5)[-1][0] == 403
        linked = answers(client, ["maria@example.ru", "112-233-445 95"])
        strangers = answers(client, ["mark@example.ru", "123-456-004 22"])
        assert linked == strangers == [(401, "Неверный логин или пароль")] * 2

        # Nor do failures with the e-mail bring the number's lock closer, or the other way
        # round: four with the e-mail and one with the phone lock neither.
        clock.shift(datetime.timedelta(minutes=31))
        assert (
            answers(client, ["maria@example.ru"] * 4 + [account.phone])
            == [(401, "Неверный логин или пароль")] * 5
        )
        # The owner, meanwhile, still logs in with the e-mail.
        assert submit_password(client, "maria@example.ru", password).status_code == 302


def test_failures_far_apart_lock_neither_a_real_nor_an_unknown_identifier(client, make_account):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        answers(client, [account.phone] * 4 + ["+79161230000"] * 4)
        clock.shift(datetime.timedelta(minutes=30, seconds=1))
        assert (
            answers(client, [account.phone, "+79161230000"])
            == [(401, "Неверный логин или пароль")] * 2
        )


def test_wrong_sms_codes_count_towards_the_lockout(client, make_account, password):
    account = make_account()
    for _ in range(2):
        submit_password(client, account.phone, "Wrong#Password1")
    submit_password(client, account.phone, password)
    assert client.post("/login/code/", {"code": "000000"}).status_code == 400
    assert client.post("/login/code/", {"code": "000001"}).status_code == 400
    response = client.post("/login/code/", {"code": "000002"})
    assert response.status_code == 403
    assert "временно заблокирована" in response.content.decode()
    assert submit_password(client, account.phone, password).status_code == 403
    assert LoginAttempt.objects.filter(account=account, result="bad_code").count() == 3


def test_sms_code_expires_after_five_minutes(client, make_account, password):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        submit_password(client, account.phone, password)
        code = latest_code(account.phone)
        clock.shift(datetime.timedelta(minutes=5, seconds=1))
        response = client.post("/login/code/", {"code": code})
    assert response.status_code == 400
    assert "Срок действия кода истёк" in response.content.decode()


def test_a_used_code_cannot_be_replayed(client, make_account, password):
    account = make_account()
    full_login(client, account, password)
    code = latest_code(account.phone)
    client.post("/logout/")
    submit_password(client, account.phone, password)
    # A used code does not hold back the next login's code, and never works again.
    assert Message.objects.filter(recipient=account.phone).count() == 2
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 400
    assert client.post("/login/code/", {"code": latest_code(account.phone)}).status_code == 302


def test_code_page_without_password_step_goes_back_to_login(client):
    response = client.get("/login/code/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.post("/login/code/", {"code": "123456"}).status_code == 302


def test_resend_is_refused_for_sixty_seconds(client, make_account, password):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        submit_password(client, account.phone, password)
        client.post("/login/code/sms/")
        page = client.get("/login/code/").content.decode()
        assert "Новый код можно запросить через" in page
        assert Message.objects.filter(recipient=account.phone).count() == 1
        clock.shift(datetime.timedelta(seconds=61))
        client.post("/login/code/sms/")
        assert Message.objects.filter(recipient=account.phone).count() == 2
        response = client.post("/login/code/", {"code": latest_code(account.phone)})
    assert response.status_code == 302


def test_authenticator_app_is_offered_and_accepted(client, make_account, password):
    account = make_account()
    device = totp.new_device(account)
    device.confirmed_at = timezone.now()
    device.save()
    submit_password(client, account.phone, password)
    assert not Message.objects.filter(recipient=account.phone).exists()  # no SMS needed
    page = client.get("/login/code/").content.decode()
    assert "приложения-аутентификатора" in page
    code = pyotp.TOTP(totp.secret_of(device)).now()
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 302
    assert LoginAttempt.objects.get(account=account, result="success").method == "pwd+otp"


def test_authenticator_code_cannot_be_used_twice(client, make_account, password):
    account = make_account()
    device = totp.new_device(account)
    device.confirmed_at = timezone.now()
    device.save()
    code = pyotp.TOTP(totp.secret_of(device)).now()
    submit_password(client, account.phone, password)
    assert client.post("/login/code/", {"code": code}).status_code == 302
    client.post("/logout/")
    submit_password(client, account.phone, password)
    assert client.post("/login/code/", {"code": code}).status_code == 400


def test_recovery_code_works_once_and_is_followed_by_an_sms_code(client, make_account, password):
    account = make_account()
    device = totp.new_device(account)
    device.confirmed_at = timezone.now()
    device.save()
    codes = totp.issue_recovery_codes(account)
    submit_password(client, account.phone, password)
    client.post("/login/code/recovery/")
    assert client.post("/login/code/", {"code": codes[0]})["Location"] == "/login/code/"
    assert client.post("/login/code/", {"code": latest_code(account.phone)})["Location"] == "/"
    client.post("/logout/")
    submit_password(client, account.phone, password)
    client.post("/login/code/recovery/")
    assert client.post("/login/code/", {"code": codes[0]}).status_code == 400


def test_switching_to_the_app_without_one_is_refused(client, make_account, password):
    account = make_account()
    submit_password(client, account.phone, password)
    client.post("/login/code/totp/")
    page = client.get("/login/code/").content.decode()
    assert "Мы отправили SMS" in page


def test_temporary_password_must_be_changed_before_anything_else(client, make_account):
    account = make_account(password="Vremenny#Parol42", must_change_password=True)
    response = full_login(client, account, "Vremenny#Parol42")
    assert response["Location"] == "/login/new-password/"
    assert client.get("/").status_code == 302
    assert client.get("/settings/sessions/")["Location"] == "/login/new-password/"
    weak = client.post(
        "/login/new-password/", {"new_password1": "password", "new_password2": "password"}
    )
    assert weak.status_code == 400
    response = client.post(
        "/login/new-password/",
        {"new_password1": "Sobstvenny#Parol8", "new_password2": "Sobstvenny#Parol8"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.must_change_password and account.check_password("Sobstvenny#Parol8")
    assert client.get("/").status_code == 200


def test_login_from_a_new_browser_notifies_the_owner(client, make_account, password):
    from django.test import Client

    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        full_login(client, account, password)  # the first login ever: nothing to compare with
        assert not Message.objects.filter(body__contains="нового устройства").exists()
        client.post("/logout/")
        clock.shift(datetime.timedelta(minutes=2))  # past the SMS resend interval
        full_login(client, account, password)  # same browser (device cookie)
        assert not Message.objects.filter(body__contains="нового устройства").exists()
        other = Client(HTTP_USER_AGENT=client.defaults["HTTP_USER_AGENT"])
        clock.shift(datetime.timedelta(minutes=2))
        full_login(other, account, password)
    notice = Message.objects.get(body__contains="нового устройства")
    assert notice.recipient == account.phone and "Chrome" in notice.body


def test_old_argon2_parameters_are_upgraded_at_next_login(client, make_account, password):
    account = make_account()
    with override_settings(ARGON2_MEMORY_COST_KIB=8192, ARGON2_TIME_COST=1):
        Account.objects.filter(pk=account.pk).update(password=make_password(password))
    old_hash = Account.objects.get(pk=account.pk).password
    assert "m=8192,t=1" in old_hash
    submit_password(client, account.phone, password)
    new_hash = Account.objects.get(pk=account.pk).password
    assert new_hash.startswith("argon2$argon2id$") and "m=19456,t=2,p=1" in new_hash


def test_password_hash_uses_argon2id_at_owasp_minimum(make_account):
    account = make_account()
    assert account.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


@override_settings(LOGIN_IP_RATE="3/m")
def test_attempts_are_throttled_per_ip_address(client, make_account, password):
    for n in range(3):
        assert submit_password(client, f"+7 999 000-00-1{n}", "Wrong#Password1").status_code == 401
    response = submit_password(client, "+7 999 000-00-19", "Wrong#Password1")
    assert response.status_code == 429
    assert "Слишком много попыток" in response.content.decode()
    # Another address is not affected.
    response = client.post(
        "/login/",
        {"identifier": "+7 999 000-00-18", "password": "x"},
        REMOTE_ADDR="198.51.100.9",
    )
    assert response.status_code == 401


def test_next_is_kept_and_open_redirects_are_refused(client, make_account, password):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        submit_password(client, account.phone, password, next="/settings/journal/")
        response = client.post("/login/code/", {"code": latest_code(account.phone)})
        assert response["Location"] == "/settings/journal/"
        client.post("/logout/")
        clock.shift(datetime.timedelta(minutes=2))
        submit_password(client, account.phone, password, next="https://evil.example/")
        response = client.post("/login/code/", {"code": latest_code(account.phone)})
        assert response["Location"] == "/"


def test_login_hint_prefills_the_identifier(client):
    page = client.get("/login/?login_hint=%2B79161234567").content.decode()
    assert 'value="+79161234567"' in page


@pytest.mark.parametrize(
    "identifier,password",
    [
        ("x" * 10_000, "y"),
        ("' OR 1=1 --", "' OR 1=1 --"),
        ("<script>alert(1)</script>", "pw"),
        ("\x00\x01\x02", "\x00"),
        ("", ""),
    ],
)
def test_hostile_login_input_is_refused_without_errors(client, identifier, password):
    response = submit_password(client, identifier, password)
    assert response.status_code in (400, 401)
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_a_huge_body_is_refused(client):
    response = client.post("/login/", {"identifier": "a" * (3 * 1024 * 1024), "password": "p"})
    # Above the request limit by its Content-Length: refused before the body is read.
    assert response.status_code == 413


def test_logout_ends_the_session_record(client, make_account, password):
    account = make_account()
    full_login(client, account, password)
    assert active_sessions(account).count() == 1
    client.post("/logout/")
    assert active_sessions(account).count() == 0
    assert client.get("/").status_code == 302


def test_idle_session_expires_and_returns_to_the_page_after_login(client, make_account, password):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        full_login(client, account, password)
        clock.shift(datetime.timedelta(minutes=14))
        assert client.get("/").status_code == 200  # activity resets the idle clock
        clock.shift(datetime.timedelta(minutes=15, seconds=1))
        response = client.get("/settings/journal/?page=1")
        assert response.status_code == 401
        assert "Сессия истекла" in response.content.decode()
        assert "next=%2Fsettings%2Fjournal%2F%3Fpage%3D1" in response.content.decode()
        assert active_sessions(account).count() == 0
        response = submit_password(
            client, account.phone, password, next="/settings/journal/?page=1"
        )
        response = client.post("/login/code/", {"code": latest_code(account.phone)})
        assert response["Location"] == "/settings/journal/?page=1"


def test_session_has_an_absolute_lifetime(client, make_account, password):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        full_login(client, account, password)
        for _ in range(48):  # active every 15 minutes for 12 hours
            clock.shift(datetime.timedelta(minutes=14, seconds=59))
            assert client.get("/").status_code == 200
        clock.shift(datetime.timedelta(minutes=14))
        assert client.get("/").status_code == 401


def test_prompt_login_asks_a_logged_in_person_to_log_in_again(client, make_account, password):
    account = make_account()
    full_login(client, account, password)
    assert client.get("/login/?next=/settings/journal/")["Location"] == "/settings/journal/"
    response = client.get("/login/?prompt=login&next=/settings/journal/")
    assert response.status_code == 200 and "Телефон, почта или СНИЛС" in response.content.decode()


def test_the_session_remembers_how_the_login_happened(client, make_account, password):
    account = make_account()
    with time_machine.travel(START, tick=False):
        full_login(client, account, password)
        assert client.session["egisz_auth"] == {
            "time": int(START.timestamp()),
            "amr": ["pwd", "sms", "mfa"],
            "level": "simplified",
        }


def test_after_replacing_a_temporary_password_the_login_goes_on_where_it_was_going(
    client, make_account
):
    account = make_account(password="Vremenny#Parol42", must_change_password=True)
    submit_password(client, account.phone, "Vremenny#Parol42", next="/settings/journal/")
    response = client.post("/login/code/", {"code": latest_code(account.phone)})
    assert response["Location"] == "/login/new-password/"
    response = client.post(
        "/login/new-password/",
        {"new_password1": "Sobstvenny#Parol8", "new_password2": "Sobstvenny#Parol8"},
    )
    assert response["Location"] == "/settings/journal/"
