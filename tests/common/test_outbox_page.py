"""The demo outbox: /dev/outbox and `egisz outbox`, and their absence outside demo mode."""

import datetime as dt
import importlib
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings

import egisz.common.outbox.urls as outbox_urls
from egisz.common.outbox.services import deliver_due, queue_email, queue_sms

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"
HOSTILE = '<script>alert("код")</script><img src=x onerror=alert(1)>'


def test_the_page_shows_a_queued_sms_with_its_recipient_and_text(client):
    queue_sms(phone=PHONE, text="Код для входа: 482913. Никому не сообщайте его.")

    response = client.get("/dev/outbox")

    assert response.status_code == 200
    page = response.content.decode()
    assert PHONE in page
    assert "Код для входа: 482913. Никому не сообщайте его." in page
    assert "ожидает отправки" in page
    assert response.headers["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response.headers["Cache-Control"]


def test_the_page_shows_status_and_moscow_time(client, sms_gateway):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 15, 30, tzinfo=dt.UTC), tick=False):
        queue_sms(phone=PHONE, text="Код: 111111")
        deliver_due()

    page = client.get("/dev/outbox").content.decode()

    assert "02.03.2026 12:15:30" in page  # UTC+3
    assert "отправлено" in page


def test_the_page_escapes_html_in_messages(client):
    queue_email(to="ivanova@example.org", subject=HOSTILE, body=HOSTILE)

    page = client.get("/dev/outbox").content.decode()

    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;код&quot;)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_the_page_lists_the_latest_fifty_newest_first(client):
    for n in range(55):
        queue_sms(phone=PHONE, text=f"сообщение №{n:02d}")

    page = client.get("/dev/outbox").content.decode()

    shown = re.findall(r"сообщение №(\d\d)", page)
    assert shown == [f"{n:02d}" for n in range(54, 4, -1)]


def test_the_page_says_when_there_are_no_messages(client):
    response = client.get("/dev/outbox")
    assert response.status_code == 200
    assert "Сообщений пока нет" in response.content.decode()


def test_the_url_does_not_exist_outside_demo_mode():
    try:
        with override_settings(DEMO=False):
            importlib.reload(outbox_urls)
            assert outbox_urls.urlpatterns == []
    finally:
        importlib.reload(outbox_urls)
    assert outbox_urls.urlpatterns != []


def test_the_view_refuses_outside_demo_mode_even_if_routed(client, settings):
    queue_sms(phone=PHONE, text="Код для входа: 482913")
    settings.DEMO = False

    response = client.get("/dev/outbox")

    assert response.status_code == 404
    assert "482913" not in response.content.decode()


def test_the_outbox_command_prints_the_messages():
    queue_sms(phone=PHONE, text="Код для входа: 482913")
    queue_email(to="ivanova@example.org", subject="Новый вход", body="Выполнен вход.\nЕсли…")
    out = StringIO()

    call_command("outbox", stdout=out)

    printed = out.getvalue()
    assert PHONE in printed
    assert "Код для входа: 482913" in printed
    assert "Тема: Новый вход" in printed
    assert printed.index("Новый вход") < printed.index("482913"), "newest first"


def test_the_outbox_command_respects_the_limit():
    queue_sms(phone=PHONE, text="старое")
    queue_sms(phone=PHONE, text="новое")
    out = StringIO()

    call_command("outbox", "--limit", "1", stdout=out)

    assert "новое" in out.getvalue()
    assert "старое" not in out.getvalue()


def test_the_outbox_command_does_not_let_a_message_drive_the_terminal():
    queue_sms(phone=PHONE, text="код\x1b[2J\x1b]0;заголовок\x07 123456\r")
    out = StringIO()

    call_command("outbox", stdout=out)

    printed = out.getvalue()
    assert "\x1b" not in printed
    assert "\x07" not in printed
    assert "код\\x1b[2J" in printed


def test_the_outbox_command_refuses_outside_demo_mode(settings):
    queue_sms(phone=PHONE, text="Код для входа: 482913")
    settings.DEMO = False
    out = StringIO()

    with pytest.raises(CommandError, match="EGISZ_DEMO=1"):
        call_command("outbox", stdout=out)

    assert "482913" not in out.getvalue()


def test_the_page_marks_a_message_sent_again_after_an_interrupted_send(
    client, sms_gateway, settings
):
    from egisz.common.outbox.services import _claim

    settings.OUTBOX_LEASE_SECONDS = 120
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        queue_sms(phone=PHONE, text="Код: 111111")
        _claim(None)  # a worker takes it and is killed before recording the outcome
        assert deliver_due() == 0, "held by the lease"
        clock.shift(120)
        assert deliver_due() == 1

    page = client.get("/dev/outbox").content.decode()

    assert "отправлено" in page
    assert "возможен повтор" in page
    assert sms_gateway.sent == [(PHONE, "Код: 111111")]
