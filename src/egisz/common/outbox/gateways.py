"""Delivery backends. The SMS gateway is chosen by the EGISZ_SMS_GATEWAY dotted path."""

import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The gateway could not take the message now; the worker retries later."""


class SmsGateway(Protocol):
    def send(self, *, phone: str, text: str) -> None:
        """Hand one SMS to the operator or raise DeliveryError."""


class RecordingSmsGateway:
    """Development gateway: sends nothing, only logs. The demo reads codes at /dev/outbox."""

    def send(self, *, phone: str, text: str) -> None:
        logger.info("SMS to %s recorded (not sent): %d characters", phone, len(text))


def sms_gateway() -> SmsGateway:
    return import_string(settings.SMS_GATEWAY)()


def send_email(*, to: str, subject: str, body: str) -> None:
    """Send through Django's configured e-mail backend (SMTP in production)."""
    try:
        EmailMessage(subject=subject, body=body, to=[to]).send(fail_silently=False)
    except Exception as exc:  # smtplib, socket and backend errors alike
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
