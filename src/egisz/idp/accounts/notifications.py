"""Telling an account's owner about something that happened to their account."""

from egisz.common.outbox.services import queue_email, queue_sms


def notify_owner(account, *, subject: str, text: str) -> None:
    """SMS to the confirmed phone always; e-mail too once the address is confirmed.

    Queued in the caller's transaction, like every outbox message."""
    queue_sms(phone=account.phone, text=text)
    if account.email and account.email_confirmed:
        queue_email(to=account.email, subject=subject, body=text)
