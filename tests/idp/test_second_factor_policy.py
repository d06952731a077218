"""The second-factor policy as a person and an attacker who controls the SIM see it: with an
authenticator app enrolled the second step uses it; SMS is then only a fallback after a
recovery code, journalled and told by e-mail; recovery by SMS alone takes nothing over. And
the code pages say the configured code lifetime."""

import datetime

import pyotp
import pytest
import time_machine
from django.utils import timezone

from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from egisz.idp.authn import totp
from egisz.idp.authn.models import LoginAttempt
from tests.idp.helpers_login import browser, is_logged_in, latest_code

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
NEW_PASSWORD = "Severnoe#Siyanie42"


def with_app(account) -> tuple[str, list[str]]:
    device = totp.new_device(account)
    device.confirmed_at = timezone.now()
    device.save()
    return totp.secret_of(device), totp.issue_recovery_codes(account)


def password_step(client, account, password):
    response = client.post("/login/", {"identifier": account.phone, "password": password})
    assert response.status_code == 302 and response["Location"] == "/login/code/"


def sms_sent(account) -> int:
    return Message.objects.filter(recipient=account.phone, body__contains="Код для входа").count()


def test_with_an_app_asking_for_sms_sends_nothing_and_asks_for_a_recovery_code(
    client, make_account, password
):
    account = make_account()
    with_app(account)
    password_step(client, account, password)
    client.post("/login/code/sms/")
    page = client.get("/login/code/").content.decode()
    assert sms_sent(account) == 0  # the SIM alone is no second factor here
    assert "Резервный код" in page
    assert "нужны резервный код и код из SMS" in page
    # Any six digits (what an SMS code looks like) are not a recovery code.
    assert client.post("/login/code/", {"code": "123456"}).status_code == 400
    assert not is_logged_in(client)


def test_the_fallback_is_a_recovery_code_then_sms_journalled_and_told_by_email(
    client, make_account, password
):
    account = make_account(email="maria@example.ru", email_confirmed=True)
    _secret, codes = with_app(account)
    password_step(client, account, password)
    client.post("/login/code/recovery/")
    response = client.post("/login/code/", {"code": codes[0]})
    assert response["Location"] == "/login/code/"
    assert not is_logged_in(client)  # the recovery code alone is not enough either
    assert sms_sent(account) == 1
    response = client.post("/login/code/", {"code": latest_code(account.phone, "Код для входа")})
    assert response.status_code == 302 and response["Location"] == "/"
    assert is_logged_in(client)
    assert LoginAttempt.objects.get(account=account, result="success").method == "pwd+rc"
    assert AuditEvent.objects.filter(action="login.app_fallback", subject_id=str(account.pk))
    mail = Message.objects.filter(recipient="maria@example.ru", subject__contains="без прил")
    assert mail.count() == 1
    assert client.session["egisz_auth"]["amr"] == ["pwd", "sms", "mfa"]


def test_the_app_is_the_second_step_when_enrolled(client, make_account, password):
    account = make_account()
    secret, _codes = with_app(account)
    password_step(client, account, password)
    assert sms_sent(account) == 0
    response = client.post("/login/code/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/"
    assert client.session["egisz_auth"]["amr"] == ["pwd", "otp", "mfa"]
    assert not AuditEvent.objects.filter(action="login.app_fallback")


def recover_by_sms(client, account):
    client.post("/recover/", {"contact": account.phone})
    return client.post("/recover/code/", {"code": latest_code(account.phone)})


def set_password(client):
    return client.post(
        "/recover/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )


def test_recovery_by_sms_alone_does_not_reset_an_account_with_an_app(client, make_account):
    account = make_account()
    with_app(account)
    with time_machine.travel(START, tick=False):
        response = recover_by_sms(client, account)
        assert response["Location"] == "/recover/app/"
        # Skipping the app's step leads nowhere.
        assert client.get("/recover/password/")["Location"] == "/recover/"
        set_password(client)
    account.refresh_from_db()
    assert not account.check_password(NEW_PASSWORD)


def test_recovery_with_an_app_needs_its_code_or_a_recovery_code(client, make_account):
    account = make_account()
    secret, codes = with_app(account)
    with time_machine.travel(START, tick=False):
        recover_by_sms(client, account)
        assert client.post("/recover/app/", {"code": "000000"}).status_code == 400
        response = client.post("/recover/app/", {"code": pyotp.TOTP(secret).now()})
        assert response["Location"] == "/recover/password/"
        assert set_password(client).status_code == 302
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)

    other = browser(ip="198.51.100.7")
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        recover_by_sms(other, account)
        response = other.post("/recover/app/", {"code": codes[1]})
        assert response["Location"] == "/recover/password/"


def test_wrong_app_codes_during_recovery_lock_like_wrong_login_codes(
    client, make_account, settings
):
    settings.LOCKOUT_THRESHOLD = 3
    account = make_account()
    with_app(account)
    with time_machine.travel(START, tick=False):
        recover_by_sms(client, account)
        client.post("/recover/app/", {"code": "000000"})
        client.post("/recover/app/", {"code": "000001"})
        response = client.post("/recover/app/", {"code": "000002"})
        assert response["Location"] == "/login/"
        assert AuditEvent.objects.filter(action="password.recovery_app_refused").count() == 3


@pytest.mark.parametrize(
    ("seconds", "sentence"),
    [
        (300, "Код действует 5 минут."),
        (60, "Код действует 1 минуту."),
        (90, "Код действует 90 секунд."),
    ],
)
def test_the_code_pages_say_the_configured_lifetime(
    client, make_account, password, settings, seconds, sentence
):
    settings.OTP_LIFETIME_SECONDS = seconds
    account = make_account()
    password_step(client, account, password)
    assert sentence in client.get("/login/code/").content.decode()
    other = browser(ip="198.51.100.9")
    other.post("/recover/", {"contact": account.phone})
    assert sentence in other.get("/recover/code/").content.decode()
