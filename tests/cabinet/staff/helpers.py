"""Helpers of the operator console's login tests: a browser at its own address, staff with
phones, the two steps, and reading the SMS code from the outbox.

Each test has its own client address and its own usernames, so counters kept in a shared
cache (Redis) by an earlier run never leak into this one.
"""

import itertools
import re
import uuid

from django.contrib.auth import get_user_model
from django.test import Client

from egisz.cabinet.staff.services import set_staff_phone
from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message

LOGIN = "/operator/login/"
CODE = "/operator/login/code/"
RESEND = "/operator/login/code/resend/"
PASSWORD = "Operator#Password2026"
REFUSED = "Слишком много попыток входа. Попробуйте позже."
NO_PHONE = "Для входа в консоль нужен номер телефона для кодов. Обратитесь к администратору."
_phones = itertools.count(1)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def unique_ip() -> str:
    a, b, c = uuid.uuid4().bytes[:3]
    return f"10.{a}.{b}.{c}"


def new_browser(**kwargs) -> Client:
    return Client(REMOTE_ADDR=unique_ip(), **kwargs)


def next_phone() -> str:
    return f"+7916333{next(_phones) % 10_000:04d}"


def make_staff(*, phone: str | None = "", password: str = PASSWORD, **fields):
    """An active member of staff; with a fresh phone unless ``phone`` is None (none set)."""
    user = get_user_model().objects.create_user(
        username=fields.pop("username", None) or unique_name("staff"), password=password
    )
    user.is_staff = True
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()
    if phone is not None:
        set_staff_phone(user=user, phone=phone or next_phone())
    return user


def attempt(browser, username, password, next_url="/operator/"):
    """Step 1: username and password."""
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return browser.post(LOGIN, data)


def last_sms(phone: str) -> Message | None:
    return Message.objects.filter(recipient=phone).order_by("-created_at", "-id").first()


def code_sent_to(phone: str) -> str:
    message = last_sms(phone)
    assert message is not None, f"nothing was sent to {phone}"
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def enter_code(browser, code):
    """Step 2: the SMS code."""
    return browser.post(CODE, {"code": code})


def log_in(browser, user, *, password=PASSWORD, next_url="/operator/"):
    """Both steps with the right password and the code from the outbox; the last answer."""
    first = attempt(browser, user.get_username(), password, next_url)
    assert first.status_code == 302 and first["Location"] == CODE, first
    return enter_code(browser, code_sent_to(user.staff_profile.phone))


def logged_in_as_staff(browser) -> bool:
    return browser.get("/operator/").status_code == 200


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def assert_refused(response):
    assert response.status_code == 429
    assert REFUSED in response.content.decode()
