"""«Забыли пароль?»: contact → code → new password, as a person and an attacker see it."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from egisz.idp.authn.models import AccountSession
from tests.idp.helpers_login import browser, is_logged_in, latest_code, latest_message, log_in

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
NEW_PASSWORD = "Severnoe#Siyanie42"
SENT = "Если учётная запись с такими данными существует, мы отправили код"


def start(client, contact):
    return client.post("/recover/", {"contact": contact})


def recover(client, contact, code, password=NEW_PASSWORD):
    response = start(client, contact)
    assert response.status_code == 302 and response["Location"] == "/recover/code/"
    response = client.post("/recover/code/", {"code": code() if callable(code) else code})
    assert response.status_code == 302 and response["Location"] == "/recover/password/"
    return client.post("/recover/password/", {"new_password1": password, "new_password2": password})


def page_text(response) -> str:
    """The page as a person reads it: per-request CSRF tokens aside."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_recovery_by_phone_sets_the_password_and_tells_the_owner(client, make_account, password):
    account = make_account()
    response = start(client, f"8 (916) 123-45-{account.phone[-2:]}")
    assert response.status_code == 302
    page = client.get("/recover/code/")
    assert SENT in page.content.decode()
    assert f"+7 916 ***-**-{account.phone[-2:]}" in page.content.decode()
    code = latest_code(account.phone, "восстановления пароля")

    response = client.post("/recover/code/", {"code": code})
    assert response["Location"] == "/recover/password/"
    response = client.post(
        "/recover/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "Пароль изменён. Войдите с новым паролем." in client.get("/login/").content.decode()

    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD) and not account.check_password(password)
    assert latest_message(account.phone, "пароль вашей учётной записи изменён") is not None
    assert AuditEvent.objects.filter(action="password.recovered", subject_id=str(account.pk))
    log_in(browser(), account, NEW_PASSWORD)


def test_recovery_by_confirmed_email_sends_the_code_by_email(client, make_account):
    account = make_account(email="Ivanova@example.ru", email_confirmed=True)
    response = recover(client, "ivanova@EXAMPLE.RU", lambda: latest_code("Ivanova@example.ru"))
    assert response["Location"] == "/login/"
    code_mail = Message.objects.filter(channel="email", subject="Восстановление пароля").get()
    assert code_mail.recipient == "Ivanova@example.ru"
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    # The owner hears of the change on both channels.
    assert latest_message("Ivanova@example.ru", "пароль вашей учётной записи изменён")
    assert latest_message(account.phone, "пароль вашей учётной записи изменён")


def test_a_locked_account_can_recover_but_the_lock_holds(client, make_account):
    """Recovery by a code sent to the phone is no way around a lock: the new password is
    set, the lock and the failures counted stay until the lock ends."""
    with time_machine.travel(START, tick=False) as clock:
        account = make_account()
        for _ in range(5):
            browser().post("/login/", {"identifier": account.phone, "password": "Wrong#Pass1"})
        response = browser().post("/login/", {"identifier": account.phone, "password": "x"})
        assert response.status_code == 403
        recover(client, account.phone, lambda: latest_code(account.phone))
        attempt = {"identifier": account.phone, "password": NEW_PASSWORD}
        assert browser().post("/login/", attempt).status_code == 403
        clock.shift(datetime.timedelta(minutes=31))
        log_in(browser(), account, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("fields", "typed_known", "typed_unknown"),
    [
        # The same last digits and the same first letter, so even the masked contact on
        # the page is the same.
        ({"phone": "+79161234510"}, "+7 916 123-45-10", "+7 916 123-40-10"),
        (
            {"phone": "+79161234511", "email": "maria@example.ru", "email_confirmed": True},
            "maria@example.ru",
            "mark@example.ru",
        ),
    ],
)
def test_unknown_contact_gets_the_same_answer_and_no_message(
    make_account, fields, typed_known, typed_unknown
):
    account = make_account(**fields)
    known, unknown = Client(), Client()
    with time_machine.travel(START, tick=False):
        a, b = start(known, typed_known), start(unknown, typed_unknown)
        assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
        page_a, page_b = known.get("/recover/code/"), unknown.get("/recover/code/")
        assert SENT in page_text(page_b)
        assert page_text(page_a) == page_text(page_b)
        # A wrong code and an immediate resend answer alike, too.
        wrong_a = known.post("/recover/code/", {"code": "000000"})
        wrong_b = unknown.post("/recover/code/", {"code": "000000"})
        assert wrong_a.status_code == wrong_b.status_code == 400
        assert page_text(wrong_a) == page_text(wrong_b)
        known.post("/recover/code/resend/")
        unknown.post("/recover/code/resend/")
        wait_a, wait_b = known.get("/recover/code/"), unknown.get("/recover/code/")
        assert "Новый код можно запросить через 61 с." in page_text(wait_b)
        assert page_text(wait_a) == page_text(wait_b)
    # One code went to the real account's contact; nothing went anywhere else.
    assert Message.objects.count() == 1
    assert Message.objects.get().recipient == (account.email or account.phone)


def test_an_unconfirmed_email_is_not_a_way_in(client, make_account):
    make_account(email="typo@example.ru", email_confirmed=False)
    start(client, "typo@example.ru")
    assert SENT in client.get("/recover/code/").content.decode()
    assert not Message.objects.exists()


def test_wrong_then_exhausted_code(client, make_account):
    account = make_account()
    start(client, account.phone)
    response = client.post("/recover/code/", {"code": "000000"})
    assert response.status_code == 400
    assert "Неверный код. Осталось 2 попытки." in response.content.decode()
    client.post("/recover/code/", {"code": "000001"})
    response = client.post("/recover/code/", {"code": "000002"})
    assert "Код введён неверно слишком много раз" in response.content.decode()
    # The right digits no longer help: that code is burnt.
    response = client.post("/recover/code/", {"code": latest_code(account.phone)})
    assert response.status_code == 400
    assert client.get("/recover/password/")["Location"] == "/recover/"


def test_code_expires_after_five_minutes(client, make_account):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        start(client, account.phone)
        clock.shift(datetime.timedelta(minutes=5, seconds=1))
        response = client.post("/recover/code/", {"code": latest_code(account.phone)})
        assert response.status_code == 400
        assert "Срок действия кода истёк" in response.content.decode()


def test_a_used_code_cannot_be_replayed(client, make_account):
    account = make_account()
    with time_machine.travel(START, tick=False):
        recover(client, account.phone, lambda: latest_code(account.phone))
        used = latest_code(account.phone, "восстановления пароля")
        attacker = Client()
        start(attacker, account.phone)  # within a minute: no new code is sent
        response = attacker.post("/recover/code/", {"code": used})
        assert response.status_code == 400
        assert attacker.get("/recover/password/")["Location"] == "/recover/"


def test_resend_waits_sixty_seconds_and_then_replaces_the_code(client, make_account):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        start(client, account.phone)
        first_code = latest_code(account.phone)
        client.post("/recover/code/resend/")
        page = client.get("/recover/code/").content.decode()
        assert "Новый код можно запросить через 61 с." in page
        assert Message.objects.filter(recipient=account.phone).count() == 1
        clock.shift(datetime.timedelta(seconds=61))
        client.post("/recover/code/resend/")
        assert Message.objects.filter(recipient=account.phone).count() == 2
        second_code = latest_code(account.phone)
        if first_code != second_code:
            assert client.post("/recover/code/", {"code": first_code}).status_code == 400
        response = client.post("/recover/code/", {"code": second_code})
        assert response["Location"] == "/recover/password/"


def test_every_session_ends_after_recovery(client, make_account, password, settings):
    settings.OTP_RESEND_SECONDS = 0
    account = make_account()
    laptop, phone = browser(), browser(ip="198.51.100.20")
    log_in(laptop, account, password)
    log_in(phone, account, password)
    assert is_logged_in(laptop) and is_logged_in(phone)
    recover(client, account.phone, lambda: latest_code(account.phone, "восстановления"))
    assert not is_logged_in(laptop) and not is_logged_in(phone)
    assert not AccountSession.objects.filter(account=account, ended_at__isnull=True).exists()


def test_recovering_while_logged_in_ends_this_session_too(make_account, password):
    account = make_account()
    owner = browser()
    log_in(owner, account, password)
    response = recover(owner, account.phone, lambda: latest_code(account.phone, "восстановления"))
    assert response["Location"] == "/login/"
    assert not is_logged_in(owner)


def test_weak_password_is_refused_next_to_the_field(client, make_account, password):
    account = make_account()
    start(client, account.phone)
    client.post("/recover/code/", {"code": latest_code(account.phone)})
    response = client.post(
        "/recover/password/", {"new_password1": "password", "new_password2": "password"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    pattern = r'class="field__error" id="id_new_password1_error"><p>[^<]*заглавную букву'
    assert re.search(pattern, html)
    assert 'href="#id_new_password1"' in html  # and in the summary, linked to the field
    account.refresh_from_db()
    assert account.check_password(password)


def test_steps_cannot_be_skipped(client, make_account, password):
    account = make_account()
    assert client.get("/recover/password/")["Location"] == "/recover/"
    assert client.get("/recover/code/")["Location"] == "/recover/"
    start(client, account.phone)
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = client.post("/recover/password/", data)
    assert response.status_code == 302 and response["Location"] == "/recover/"
    account.refresh_from_db()
    assert account.check_password(password)


def test_a_code_confirmed_for_one_account_never_sets_anothers_password(
    client, make_account, password
):
    victim, attacker_account = make_account(), make_account()
    with time_machine.travel(START, tick=False):
        # The attacker's own code, entered in a recovery started for the victim: refused.
        start(client, victim.phone)
        start(Client(), attacker_account.phone)
        own_code = latest_code(attacker_account.phone)
        assert client.post("/recover/code/", {"code": own_code}).status_code == 400
        # Confirmed for their own account, then switched to the victim: the confirmation
        # does not carry over.
        start(client, attacker_account.phone)
        response = client.post("/recover/code/", {"code": latest_code(attacker_account.phone)})
        assert response["Location"] == "/recover/password/"
        start(client, victim.phone)
        data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        assert client.post("/recover/password/", data)["Location"] == "/recover/"
    for account in (victim, attacker_account):
        account.refresh_from_db()
        assert account.check_password(password)


def test_a_confirmed_code_opens_the_password_step_for_ten_minutes(client, make_account):
    account = make_account()
    with time_machine.travel(START, tick=False) as clock:
        start(client, account.phone)
        client.post("/recover/code/", {"code": latest_code(account.phone)})
        clock.shift(datetime.timedelta(minutes=10, seconds=1))
        assert client.get("/recover/password/")["Location"] == "/recover/"


def test_recovery_is_throttled_per_ip_address(client, make_account, settings):
    settings.RECOVERY_IP_RATE = "3/10m"
    for n in range(3):
        assert start(client, f"+7 916 000-00-0{n}").status_code == 302
    response = start(client, "+7 916 000-00-09")
    assert response.status_code == 429
    # Another address is not affected.
    assert start(browser(ip="198.51.100.20"), "+7 916 000-00-09").status_code == 302


@pytest.mark.parametrize(
    "contact",
    [
        "x" * 10_000_000,
        "+7 916\x00123-45-67",
        "+7 916\x07123-45-67",
        "' OR 1=1 --",
        "<script>alert(1)</script>@example.ru",
        "",
    ],
)
def test_hostile_contact_is_refused_without_errors(client, contact):
    response = start(client, contact)
    # Ten megabytes are over the request limit: refused by the length, before reading.
    assert response.status_code == (413 if len(contact) > 1_000_000 else 400)
    assert "<script>alert(1)" not in response.content.decode()
    assert not Message.objects.exists()


def test_hostile_code_and_password_input(client, make_account):
    account = make_account()
    start(client, account.phone)
    # Ten megabytes are over the request limit: refused by the length, before reading.
    assert client.post("/recover/code/", {"code": "1" * 10_000_000}).status_code == 413
    for code in ("12\x0034", "' OR 1=1 --"):
        assert client.post("/recover/code/", {"code": code}).status_code == 400
    start(client, account.phone)  # the wrong tries above burnt the first code
    client.post("/recover/code/", {"code": latest_code(account.phone)})
    for bad in ("A" * 10_000_000, "Ab1#\x00cdefgh", "A" * 200):
        response = client.post("/recover/password/", {"new_password1": bad, "new_password2": bad})
        assert response.status_code == (413 if len(bad) > 1_000_000 else 400)


def test_missing_csrf_token_is_refused(make_account):
    account = make_account()
    guarded = Client(enforce_csrf_checks=True)
    assert guarded.post("/recover/", {"contact": account.phone}).status_code == 403
    assert guarded.post("/recover/code/resend/").status_code == 403
    assert not Message.objects.exists()


# --- The session key -------------------------------------------------------------------


def same_session(client) -> Client:
    """Another browser presenting ``client``'s current session cookie (one that was seen,
    or planted, before a step)."""
    other = Client()
    name = settings.SESSION_COOKIE_NAME
    other.cookies[name] = client.cookies[name].value
    return other


def test_a_session_key_from_before_the_code_cannot_set_the_password(client, make_account):
    account = make_account()
    start(client, account.phone)
    before_code = same_session(client)
    response = client.post("/recover/code/", {"code": latest_code(account.phone)})
    assert response["Location"] == "/recover/password/"

    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = before_code.post("/recover/password/", data)
    assert response.status_code == 302 and response["Location"] == "/recover/"
    account.refresh_from_db()
    assert not account.check_password(NEW_PASSWORD)
    # The browser that typed the code goes on.
    assert client.post("/recover/password/", data)["Location"] == "/login/"


def test_a_planted_session_key_does_not_follow_the_victims_recovery(make_account):
    victim_account, attacker_account = make_account(), make_account()
    attacker = Client()
    start(attacker, attacker_account.phone)  # any session of the attacker's own
    victim = same_session(attacker)  # planted in the victim's browser
    start(victim, victim_account.phone)
    response = attacker.get("/recover/code/")
    assert response.status_code == 302 and response["Location"] == "/recover/"
    assert victim.get("/recover/code/").status_code == 200


def test_recovering_while_logged_in_keeps_the_session_listed(make_account, password):
    account = make_account()
    owner = browser()
    log_in(owner, account, password)
    start(owner, account.phone)
    owner.post("/recover/code/", {"code": latest_code(account.phone, "восстановления")})
    [record] = AccountSession.objects.filter(account=account, ended_at__isnull=True)
    assert record.session_key == owner.session.session_key
    assert is_logged_in(owner)
