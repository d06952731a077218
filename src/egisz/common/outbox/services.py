"""Writing messages into the outbox and delivering them.

Callers queue inside the transaction of the change that causes the message: if that
transaction rolls back, the message never existed. Delivery is at-least-once; each
message is sent under a row lock (SKIP LOCKED on PostgreSQL) so two workers never send
the same row.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from egisz.common.outbox.gateways import DeliveryError, send_email, sms_gateway
from egisz.common.outbox.models import Message

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


def queue_sms(*, phone: str, text: str) -> Message:
    return Message.objects.create(
        channel=Message.Channel.SMS, recipient=phone, body=text, next_attempt_at=timezone.now()
    )


def queue_email(*, to: str, subject: str, body: str) -> Message:
    return Message.objects.create(
        channel=Message.Channel.EMAIL,
        recipient=to,
        subject=subject,
        body=body,
        next_attempt_at=timezone.now(),
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: base, 2×base, 4×base… capped at one hour."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver_one() -> Message | None:
    """Deliver the oldest due message, if any. Returns it (with its new status)."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Message.Status.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at", "id")
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        try:
            _send(message)
        except DeliveryError as exc:
            message.last_error = str(exc)[:500]
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.status = Message.Status.FAILED
                logger.error("outbox: message %s failed for good: %s", message.pk, exc)
            else:
                message.next_attempt_at = timezone.now() + retry_delay(message.attempts)
                logger.warning("outbox: message %s will be retried: %s", message.pk, exc)
        else:
            message.status = Message.Status.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save(
            update_fields=["attempts", "status", "sent_at", "next_attempt_at", "last_error"]
        )
        return message


def deliver_due(limit: int = 100) -> int:
    """Deliver up to ``limit`` due messages; returns how many were attempted."""
    attempted = 0
    while attempted < limit and deliver_one() is not None:
        attempted += 1
    return attempted


def _send(message: Message) -> None:
    try:
        if message.channel == Message.Channel.SMS:
            sms_gateway().send(phone=message.recipient, text=message.body)
        else:
            send_email(to=message.recipient, subject=message.subject, body=message.body)
    except DeliveryError:
        raise
    except Exception as exc:  # a broken gateway must not stop the queue
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
