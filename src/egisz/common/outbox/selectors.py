"""Read-side queries of the outbox."""

from django.db.models import QuerySet

from egisz.common.outbox.models import Message

DEMO_PAGE_SIZE = 50


def latest_messages(*, limit: int = DEMO_PAGE_SIZE) -> QuerySet[Message]:
    """The newest messages first, as the demo outbox page and `egisz outbox` show them."""
    return Message.objects.order_by("-created_at", "-id")[:limit]
