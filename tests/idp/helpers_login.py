"""Logging a test client in the way a person does: password, then the SMS code."""

import re

from django.test import Client

from egisz.common.outbox.models import Message

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CODE = re.compile(r"\b(\d{6})\b")


def browser(user_agent: str = CHROME_LINUX, ip: str = "127.0.0.1") -> Client:
    """Another browser, on another address if asked."""
    return Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)


def latest_message(recipient: str, contains: str = "") -> Message:
    messages = Message.objects.filter(recipient=recipient, body__contains=contains)
    return messages.order_by("-id").first()


def latest_code(recipient: str, contains: str = "Код") -> str:
    """The digits of the newest code sent to a phone or e-mail address."""
    return CODE.search(latest_message(recipient, contains).body).group(1)


def log_in(client: Client, account, password: str) -> None:
    """Password, then the SMS code. Several logins to one account within a minute need
    OTP_RESEND_SECONDS=0 (the real rules refuse a new code sooner)."""
    response = client.post("/login/", {"identifier": account.phone, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    code = latest_code(account.phone, "Код для входа")
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session["_auth_user_id"] == str(account.pk)


def is_logged_in(client: Client) -> bool:
    """What a person notices: the settings open, rather than sending them to log in."""
    return client.get("/settings/sessions/").status_code == 200
