from django.db.models import F

from egisz.cabinet.notifications.events import CHANNELS, EVENT_TYPES
from egisz.cabinet.notifications.models import Notification, Preference


def channels_enabled(*, patient, event: str) -> set[str]:
    """The channels ``event`` goes out on for ``patient``."""
    event_type = EVENT_TYPES[event]
    if event_type.mandatory:
        return set(CHANNELS)
    chosen = set(event_type.default_channels)
    for channel, enabled in Preference.objects.filter(patient=patient, event=event).values_list(
        "channel", "enabled"
    ):
        (chosen.add if enabled else chosen.discard)(channel)
    return chosen & set(CHANNELS)


def preference_matrix(*, patient) -> dict[str, set[str]]:
    """Every event with its enabled channels (one query)."""
    chosen = {key: set(event.default_channels) for key, event in EVENT_TYPES.items()}
    rows = Preference.objects.filter(patient=patient).values_list("event", "channel", "enabled")
    for event, channel, enabled in rows:
        if event in chosen and not EVENT_TYPES[event].mandatory:
            (chosen[event].add if enabled else chosen[event].discard)(channel)
    return chosen


def inbox(*, patient, limit: int = 10) -> list[Notification]:
    """Unread first, newest first within each."""
    return list(all_notifications(patient=patient)[:limit])


def unread_count(*, patient) -> int:
    return Notification.objects.filter(patient=patient, read_at__isnull=True).count()


def all_notifications(*, patient):
    return Notification.objects.filter(patient=patient).order_by(
        F("read_at").asc(nulls_first=True), "-created_at", "-id"
    )
