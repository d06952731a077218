"""Writing messages into the outbox and delivering them.

Callers queue inside the transaction of the change that causes the message: if that
transaction rolls back, the message never existed. The outbox row is the durable record of
what must be sent; after commit a task (egisz.common.outbox.tasks.deliver_message) is
queued to send it, and the periodic job ``deliver_due`` sends whatever a lost task left.

A delivery claims the message (status «sending» with a lease, attempt counted) and commits,
hands it to the gateway outside any transaction, then records the outcome only if it still
holds that claim. A worker killed mid-send leaves the claim; once the lease is over another
worker claims the message again and marks it ``possible_duplicate``: SMS and e-mail are
delivered at least once, and a second copy is visible in the outbox. Two workers never hold
one claim: the claim is a compare-and-set on (status, attempts) of a row read with
SELECT … FOR UPDATE SKIP LOCKED.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from egisz.common.jobs.queue import enqueue, enqueue_on_commit
from egisz.common.outbox.gateways import DeliveryError, send_email, sms_gateway
from egisz.common.outbox.models import Message

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


def queue_sms(*, phone: str, text: str) -> Message:
    return _queue(channel=Message.Channel.SMS, recipient=phone, body=text)


def queue_email(*, to: str, subject: str, body: str) -> Message:
    return _queue(channel=Message.Channel.EMAIL, recipient=to, subject=subject, body=body)


def _queue(**fields) -> Message:
    from egisz.common.outbox.tasks import deliver_message

    message = Message.objects.create(next_attempt_at=timezone.now(), **fields)
    enqueue_on_commit(deliver_message, message.pk)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: base, 2×base, 4×base… capped at one hour."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver_one(message_id: int | None = None) -> Message | None:
    """Deliver one due message (the given one, or the oldest due). Returns it with its new
    status, or None when there was nothing to claim."""
    message = _claim(message_id)
    if message is None:
        return None
    try:
        _send(message)
    except DeliveryError as exc:
        _record_failure(message, exc)
    else:
        _record(message, status=Message.Status.SENT, sent_at=timezone.now(), last_error="")
    return message


def deliver_due(limit: int = 100) -> int:
    """Deliver up to ``limit`` due messages; returns how many were attempted."""
    attempted = 0
    while attempted < limit and deliver_one() is not None:
        attempted += 1
    return attempted


def _claim(message_id: int | None) -> Message | None:
    now = timezone.now()
    due = Q(status=Message.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Message.Status.SENDING, lease_until__lte=now
    )
    with transaction.atomic():
        candidates = Message.objects.select_for_update(skip_locked=True).filter(due)
        if message_id is not None:
            candidates = candidates.filter(pk=message_id)
        message = candidates.order_by("next_attempt_at", "id").first()
        if message is None:
            return None
        interrupted = message.status == Message.Status.SENDING
        claim = {
            "status": Message.Status.SENDING,
            "attempts": message.attempts + 1,
            "lease_until": now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
            "possible_duplicate": message.possible_duplicate or interrupted,
        }
        # Compare-and-set: on a database without row locks (the demo's SQLite) a second
        # worker that read the same row finds it changed and claims nothing.
        taken = Message.objects.filter(
            pk=message.pk, status=message.status, attempts=message.attempts
        ).update(**claim)
        if not taken:
            return None
    if interrupted:
        logger.warning(
            "outbox: message %s was being sent by a worker that stopped; sending it again "
            "(the recipient may get it twice)",
            message.pk,
        )
    for field, value in claim.items():
        setattr(message, field, value)
    return message


def _record_failure(message: Message, exc: DeliveryError) -> None:
    error = str(exc)[:500]
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        logger.error("outbox: message %s failed for good: %s", message.pk, exc)
        _record(message, status=Message.Status.FAILED, last_error=error)
        return
    retry_at = timezone.now() + retry_delay(message.attempts)
    logger.warning("outbox: message %s will be retried: %s", message.pk, exc)
    if _record(message, status=Message.Status.PENDING, next_attempt_at=retry_at, last_error=error):
        from egisz.common.outbox.tasks import deliver_message

        enqueue(deliver_message, message.pk, run_after=retry_at)


def _record(message: Message, **outcome) -> bool:
    """Writes the outcome if this worker still holds its claim; returns whether it did."""
    held = Message.objects.filter(
        pk=message.pk, status=Message.Status.SENDING, attempts=message.attempts
    ).update(lease_until=None, **outcome)
    if not held:
        logger.warning("outbox: message %s: the lease ran out before the outcome", message.pk)
        message.refresh_from_db()
        return False
    for field, value in outcome.items():
        setattr(message, field, value)
    message.lease_until = None
    return True


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
