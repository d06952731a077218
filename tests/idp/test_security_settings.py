"""Security settings: sessions, the login journal, password change, the authenticator app."""

import datetime
import re

import pyotp
import pytest
import time_machine
from django.test import Client

from egisz.common.audit.models import AuditEvent
from egisz.common.request_meta import RequestMeta
from egisz.idp.authn import services as authn_services
from egisz.idp.authn import totp
from egisz.idp.authn.models import AccountSession, LoginAttempt, Method, TotpDevice
from tests.idp.helpers_login import (
    FIREFOX_WINDOWS,
    SAFARI_IPHONE,
    browser,
    is_logged_in,
    latest_code,
    latest_message,
    log_in,
)

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
NEW_PASSWORD = "Severnoe#Siyanie42"
PAGES = {
    "/settings/sessions/": "Управление сеансами",
    "/settings/journal/": "Журнал входов",
    "/settings/password/": "Смена пароля",
    "/settings/authenticator/": "Приложение-аутентификатор",
}


@pytest.fixture
def many_logins(settings):
    """Several logins to one account within a minute, each with its own SMS code."""
    settings.OTP_RESEND_SECONDS = 0
    settings.OTP_MAX_PER_HOUR = 100


@pytest.fixture
def owner(client, make_account, password):
    account = make_account()
    log_in(client, account, password)
    return account


def audited(action: str, account) -> bool:
    return AuditEvent.objects.filter(action=action, subject_id=str(account.pk)).exists()


# --- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "/settings/journal/?page=2"])
def test_settings_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/settings/")


@pytest.mark.parametrize(
    "path",
    [
        "/settings/sessions/end-others/",
        "/settings/sessions/1/end/",
        "/settings/authenticator/start/",
        "/settings/authenticator/disable/",
    ],
)
def test_actions_require_login(client, path):
    assert client.post(path)["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(("path", "title"), PAGES.items())
def test_side_menu_marks_the_current_page(client, owner, path, title):
    html = client.get(path).content.decode()
    assert re.search(rf'aria-current="page">{title}</a>', html)
    assert html.count('aria-current="page"') == 1
    assert 'href="/">Личные данные</a>' in html


# --- «Управление сеансами» --------------------------------------------------------------


def test_sessions_are_listed_with_browser_ip_and_this_one_marked(
    client, make_account, password, many_logins
):
    account = make_account()
    with time_machine.travel(START, tick=False):
        log_in(client, account, password)
        log_in(browser(FIREFOX_WINDOWS, ip="198.51.100.20"), account, password)
        log_in(browser(SAFARI_IPHONE, ip="2001:db8::7"), account, password)
        html = client.get("/settings/sessions/").content.decode()
    assert "Firefox 133.0, Windows 10" in html and "198.51.100.20" in html
    assert "Mobile Safari 17.5, iOS 17.5 (телефон (iPhone))" in html and "2001:db8::7" in html
    assert "Chrome 130.0.0, Linux (компьютер)" in html
    assert html.count("Этот сеанс") == 1
    assert html.count(">Завершить</button>") == 2  # not offered for this session
    assert "02.03.2026 12:00" in html  # 09:00 UTC shown in Moscow time


def test_ending_a_session_logs_that_browser_out(client, make_account, password, many_logins):
    account = make_account()
    log_in(client, account, password)
    other = browser(FIREFOX_WINDOWS, ip="198.51.100.20")
    log_in(other, account, password)
    record = AccountSession.objects.get(account=account, ip="198.51.100.20")
    response = client.post(f"/settings/sessions/{record.pk}/end/")
    assert response.status_code == 302 and response["Location"] == "/settings/sessions/"
    assert not is_logged_in(other)
    assert is_logged_in(client)
    record.refresh_from_db()
    assert record.ended_at is not None
    assert audited("session.ended", account)
    assert "198.51.100.20" not in client.get("/settings/sessions/").content.decode()
    # Ending it again: it no longer exists as a live session.
    assert client.post(f"/settings/sessions/{record.pk}/end/").status_code == 404


def test_another_accounts_session_cannot_be_ended(client, make_account, password, many_logins):
    account, stranger = make_account(), make_account()
    log_in(client, account, password)
    theirs = browser(ip="198.51.100.30")
    log_in(theirs, stranger, password)
    record = AccountSession.objects.get(account=stranger)
    assert client.post(f"/settings/sessions/{record.pk}/end/").status_code == 404
    assert client.post("/settings/sessions/999999/end/").status_code == 404
    assert is_logged_in(theirs)
    assert "198.51.100.30" not in client.get("/settings/sessions/").content.decode()


def test_end_all_but_this_one(client, make_account, password, many_logins):
    account = make_account()
    log_in(client, account, password)
    others = [browser(ip=f"198.51.100.{n}") for n in (41, 42)]
    for other in others:
        log_in(other, account, password)
    response = client.post("/settings/sessions/end-others/")
    assert response["Location"] == "/settings/sessions/"
    assert "Завершено сеансов, кроме этого: 2." in client.get(response["Location"]).content.decode()
    assert is_logged_in(client)
    assert not any(is_logged_in(other) for other in others)
    assert AccountSession.objects.filter(account=account, ended_at__isnull=True).count() == 1
    assert audited("session.ended_others", account)


def test_ending_this_session_from_the_list_logs_out(client, owner):
    record = AccountSession.objects.get(account=owner)
    response = client.post(f"/settings/sessions/{record.pk}/end/")
    assert response["Location"] == "/login/"
    assert not is_logged_in(client)


def _guarded(client) -> Client:
    """The same logged-in browser, now with CSRF checks as a real browser gets them."""
    guarded = Client(enforce_csrf_checks=True)
    guarded.cookies = client.cookies
    return guarded


def test_session_actions_need_post_and_csrf(client, owner):
    record = AccountSession.objects.get(account=owner)
    guarded = _guarded(client)
    assert guarded.get(f"/settings/sessions/{record.pk}/end/").status_code == 405
    assert guarded.post(f"/settings/sessions/{record.pk}/end/").status_code == 403
    assert guarded.post("/settings/sessions/end-others/").status_code == 403
    assert is_logged_in(guarded)


# --- «Журнал входов» --------------------------------------------------------------------


def _attempts(account, count, *, start=START, ip="203.0.113.5", result="success"):
    for n in range(count):
        LoginAttempt.objects.create(
            account=account,
            created_at=start + datetime.timedelta(minutes=n),
            ip=ip,
            user_agent=FIREFOX_WINDOWS,
            method=Method.PASSWORD_SMS,
            result=result,
        )


def test_journal_shows_own_attempts_newest_first(client, make_account, password, meta):
    account, stranger = make_account(), make_account()
    with time_machine.travel(START, tick=False) as clock:
        authn_services.check_password_stage(
            identifier=account.phone, password="Wrong#Password1", meta=meta
        )
        clock.shift(datetime.timedelta(minutes=5))
        authn_services.check_password_stage(
            identifier=stranger.phone, password="Wrong#Password1", meta=RequestMeta("192.0.2.99")
        )
        clock.shift(datetime.timedelta(minutes=5))
        log_in(client, account, password)
        html = client.get("/settings/journal/").content.decode()
    assert "192.0.2.99" not in html
    rows = re.findall(r'data-label="Дата и время \(МСК\)">([^<]+)<', html)
    assert rows == ["02.03.2026 12:10:00", "02.03.2026 12:00:00"]
    assert html.index("успешный вход") < html.index("неверный пароль")
    assert "пароль и код из SMS" in html and "203.0.113.7" in html
    assert "Chrome 130.0.0, Linux" in html


def test_journal_is_paged_by_twenty(client, owner):
    LoginAttempt.objects.filter(account=owner).delete()
    _attempts(owner, 45)
    first = client.get("/settings/journal/").content.decode()
    assert first.count('data-label="Результат"') == 20
    assert "Страница 1 из 3" in first and 'href="?page=2"' in first
    assert "02.03.2026 12:44:00" in first  # the newest
    last = client.get("/settings/journal/?page=3").content.decode()
    assert last.count('data-label="Результат"') == 5
    assert "02.03.2026 12:00:00" in last  # the oldest
    # Nonsense page numbers fall back instead of failing.
    for page in ("999", "abc", "-1", "1" * 500):
        assert client.get(f"/settings/journal/?page={page}").status_code == 200


# Most queries of a page are the session's own (load, save, cache); the list must add
# a fixed few however many rows it shows.
PAGE_QUERY_LIMIT = 20


def test_journal_queries_do_not_grow_with_the_rows(client, owner, django_assert_max_num_queries):
    _attempts(owner, 3)
    with django_assert_max_num_queries(PAGE_QUERY_LIMIT) as few:
        client.get("/settings/journal/")
    three_rows = len(few.captured_queries)  # read now: each request resets the query log
    _attempts(owner, 40, ip="203.0.113.6")
    with django_assert_max_num_queries(three_rows) as full:
        response = client.get("/settings/journal/")
    assert response.content.decode().count('data-label="Результат"') == 20
    journal_queries = [q for q in full.captured_queries if "authn_loginattempt" in q["sql"]]
    assert len(journal_queries) == 2  # the count for the pager and the page itself


def test_sessions_page_queries_do_not_grow_with_the_rows(
    client, make_account, password, many_logins, django_assert_max_num_queries
):
    account = make_account()
    log_in(client, account, password)
    with django_assert_max_num_queries(PAGE_QUERY_LIMIT) as few:
        client.get("/settings/sessions/")
    one_row = len(few.captured_queries)  # read now: each request resets the query log
    for n in range(5):
        log_in(browser(ip=f"198.51.100.{n + 1}"), account, password)
    with django_assert_max_num_queries(one_row):
        response = client.get("/settings/sessions/")
    assert response.content.decode().count(">Завершить</button>") == 5


# --- «Смена пароля» ---------------------------------------------------------------------


def _change(client, old, new=NEW_PASSWORD):
    return client.post(
        "/settings/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_wrong_old_password_is_refused(client, owner, password):
    response = _change(client, "Not#MyPassword1")
    assert response.status_code == 400
    assert "Текущий пароль введён неверно." in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(password)


def test_weak_new_password_is_refused_next_to_the_field(client, owner, password):
    response = _change(client, password, "12345678")
    assert response.status_code == 400
    assert re.search(r'id="id_new_password1_error"><p>[^<]*заглавную', response.content.decode())


def test_password_change_ends_other_sessions_and_keeps_this_one(
    client, make_account, password, many_logins
):
    account = make_account()
    log_in(client, account, password)
    other = browser(ip="198.51.100.20")
    log_in(other, account, password)
    response = _change(client, password)
    assert response.status_code == 302 and response["Location"] == "/settings/password/"
    assert "Пароль изменён" in client.get("/settings/password/").content.decode()
    assert is_logged_in(client) and not is_logged_in(other)
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    live = AccountSession.objects.get(account=account, ended_at__isnull=True)
    assert live.session_key == client.session.session_key  # the record follows the new key
    assert latest_message(account.phone, "пароль вашей учётной записи изменён")
    assert audited("password.changed", account)


# --- «Приложение-аутентификатор» ---------------------------------------------------------


def _enrol(client) -> str:
    """Start enrolment and read the secret as a person copies it from the page."""
    assert client.post("/settings/authenticator/start/")["Location"] == "/settings/authenticator/"
    html = client.get("/settings/authenticator/").content.decode()
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR-код', html)
    secret = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', html).group(1)
    return secret.replace(" ", "")


def _recovery_codes(html: str) -> list[str]:
    return re.findall(r"<li>(\d{5}-\d{5})</li>", html)


def test_authenticator_enrolment_then_login_with_the_app(client, owner, password):
    with time_machine.travel(START, tick=False) as clock:
        secret = _enrol(client)
        # Not active until a correct code is entered.
        assert totp.active_device(owner) is None
        response = client.post("/settings/authenticator/confirm/", {"code": "000000"})
        assert response.status_code == 400
        assert "Неверный код из приложения" in response.content.decode()
        assert totp.active_device(owner) is None

        response = client.post(
            "/settings/authenticator/confirm/", {"code": pyotp.TOTP(secret).now()}
        )
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        codes = _recovery_codes(response.content.decode())
        assert len(codes) == 10 and len(set(codes)) == 10
        assert totp.active_device(owner) is not None
        assert audited("mfa.totp_enabled", owner)
        assert latest_message(owner.phone, "подключено приложение-аутентификатор")

        # Shown once: the settings page (a reload) does not show them again.
        again = client.get("/settings/authenticator/").content.decode()
        assert not _recovery_codes(again) and codes[0] not in again
        assert "Приложение подключено" in again

        # Log in again with password and the app's code.
        client.post("/logout/")
        clock.shift(datetime.timedelta(seconds=60))
        client.post("/login/", {"identifier": owner.phone, "password": password})
        client.post("/login/code/totp/")
        response = client.post("/login/code/", {"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302 and response["Location"] == "/"
        assert is_logged_in(client)
        assert LoginAttempt.objects.filter(account=owner, method="pwd+otp", result="success")

        # Without the app: a recovery code shown at enrolment, then an SMS code.
        second = browser(ip="198.51.100.20")
        second.post("/login/", {"identifier": owner.phone, "password": password})
        second.post("/login/code/recovery/")
        assert second.post("/login/code/", {"code": codes[3]})["Location"] == "/login/code/"
        code = latest_code(owner.phone, "Код для входа")
        assert second.post("/login/code/", {"code": code})["Location"] == "/"


def test_reposting_the_confirmation_does_not_show_the_codes_again(client, owner):
    with time_machine.travel(START, tick=False):
        secret = _enrol(client)
        code = pyotp.TOTP(secret).now()
        client.post("/settings/authenticator/confirm/", {"code": code})
        response = client.post("/settings/authenticator/confirm/", {"code": code})
        assert response.status_code == 302
        assert not _recovery_codes(client.get(response["Location"]).content.decode())


def test_disabling_the_app_requires_the_password(client, owner, password):
    with time_machine.travel(START, tick=False):
        secret = _enrol(client)
        client.post("/settings/authenticator/confirm/", {"code": pyotp.TOTP(secret).now()})
        response = client.post("/settings/authenticator/disable/", {"off-password": "Wrong#Pass1"})
        assert response.status_code == 400
        assert "Текущий пароль введён неверно." in response.content.decode()
        assert totp.active_device(owner) is not None

        response = client.post("/settings/authenticator/disable/", {"off-password": password})
        assert response["Location"] == "/settings/authenticator/"
        assert totp.active_device(owner) is None
        assert not owner.recovery_codes.exists()
        assert audited("mfa.totp_disabled", owner)
        assert latest_message(owner.phone, "приложение-аутентификатор отключено")
        assert ">Подключить</button>" in client.get("/settings/authenticator/").content.decode()


def test_new_recovery_codes_require_the_password_and_replace_the_old(client, owner, password):
    with time_machine.travel(START, tick=False):
        secret = _enrol(client)
        response = client.post(
            "/settings/authenticator/confirm/", {"code": pyotp.TOTP(secret).now()}
        )
        old = _recovery_codes(response.content.decode())
        wrong = client.post("/settings/authenticator/recovery-codes/", {"codes-password": "x"})
        assert wrong.status_code == 400
        response = client.post(
            "/settings/authenticator/recovery-codes/", {"codes-password": password}
        )
        new = _recovery_codes(response.content.decode())
        assert len(new) == 10 and not set(new) & set(old)
        assert not totp.use_recovery_code(owner, old[0])
        assert totp.use_recovery_code(owner, new[0])
        assert audited("mfa.recovery_codes_issued", owner)
        assert not _recovery_codes(client.get("/settings/authenticator/").content.decode())


def test_app_actions_without_an_app_change_nothing(client, owner, password):
    response = client.post("/settings/authenticator/disable/", {"off-password": password})
    assert response["Location"] == "/settings/authenticator/"
    response = client.post("/settings/authenticator/recovery-codes/", {"codes-password": password})
    assert response["Location"] == "/settings/authenticator/"
    assert not owner.recovery_codes.exists()
    assert client.post("/settings/authenticator/confirm/", {"code": "123456"}).status_code == 400


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/settings/password/", "old_password"),
        ("/settings/password/", "new_password1"),
        ("/settings/authenticator/confirm/", "code"),
        ("/settings/authenticator/disable/", "off-password"),
        ("/settings/authenticator/recovery-codes/", "codes-password"),
    ],
)
@pytest.mark.parametrize(
    "value", ["x" * 10_000_000, "Ab1#\x00\x01\x1b[31m", "' OR 1=1; DROP TABLE accounts_account; --"]
)
def test_hostile_input_is_refused_without_errors(client, owner, path, field, value):
    response = client.post(path, {field: value})
    # Ten megabytes are over the request limit: refused by the length, before reading.
    assert response.status_code == (413 if len(value) > 1_000_000 else 400)
    assert is_logged_in(client)


def test_missing_csrf_token_is_refused(client, owner, password):
    guarded = _guarded(client)
    response = guarded.post(
        "/settings/password/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 403
    assert guarded.post("/settings/authenticator/start/").status_code == 403
    owner.refresh_from_db()
    assert owner.check_password(password)
    assert not TotpDevice.objects.filter(account=owner).exists()
