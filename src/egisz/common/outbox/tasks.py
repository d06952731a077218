"""Outbox delivery as a task of Django's tasks API (queued after the message commits)."""

from django_tasks import task

from egisz.common.outbox import services


@task()
def deliver_message(message_id: int) -> bool:
    """Deliver one message if it is still due; True when a delivery was attempted (a
    message already sent, or claimed by another worker, is left alone)."""
    return services.deliver_one(message_id) is not None
