"""E-mail through Django's SMTP backend against a real SMTP server on 127.0.0.1."""

import datetime as dt
import email
from email import policy

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from egisz.common.outbox.models import Message
from egisz.common.outbox.services import deliver_due, queue_email

pytestmark = pytest.mark.django_db

TO = "maria.ivanova@example.org"
SUBJECT = "Подтверждение адреса электронной почты"
BODY = "Здравствуйте, Мария Петровна!\nКод подтверждения: 614 285.\nЁлки-палки — «кавычки»."


def parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.content, policy=policy.default)


def subject_of(envelope) -> str:
    # Django folds a long encoded subject onto the next line; the fold is not content.
    return parsed(envelope)["Subject"].strip()


def test_an_email_reaches_the_smtp_server_with_recipient_subject_and_russian_body(smtp_server):
    message = queue_email(to=TO, subject=SUBJECT, body=BODY)

    assert deliver_due() == 1

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [TO]
    assert envelope.mail_from == settings.DEFAULT_FROM_EMAIL
    received = parsed(envelope)
    assert received["To"] == TO
    assert subject_of(envelope) == SUBJECT
    assert received.get_content_charset() == "utf-8"
    # SMTP carries lines with CRLF endings.
    assert received.get_body().get_content().replace("\r\n", "\n").rstrip("\n") == BODY


def test_an_email_is_kept_while_the_smtp_server_is_down_and_sent_when_it_is_back(
    smtp_server, settings
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 15
    smtp_server.stop()
    message = queue_email(to=TO, subject=SUBJECT, body=BODY)

    assert deliver_due() == 1

    message.refresh_from_db()
    assert message.status == Message.Status.PENDING
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert smtp_server.envelopes == []

    smtp_server.start()
    assert deliver_due() == 0, "the retry waits for its back-off"
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=15)):
        assert deliver_due() == 1

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    [envelope] = smtp_server.envelopes
    assert subject_of(envelope) == SUBJECT
