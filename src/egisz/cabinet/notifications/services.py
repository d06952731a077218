"""Notifying patients and keeping their notification preferences."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.notifications.events import CHANNELS, EMAIL, EVENT_TYPES, SMS
from egisz.cabinet.notifications.kinds import WORDINGS, NotificationKind
from egisz.cabinet.notifications.models import Notification, Preference
from egisz.cabinet.notifications.selectors import channels_enabled
from egisz.common.audit.services import record_event
from egisz.common.outbox.services import queue_email, queue_sms
from egisz.common.request_meta import RequestMeta


@transaction.atomic
def notify_patient(
    *, patient, kind: NotificationKind, params: dict | None = None, link: str = ""
) -> Notification:
    """A notice in the cabinet, plus SMS/e-mail copies on the channels the patient chose.

    ``params`` are the data the kind's wording needs (``kinds.WORDINGS``). The notice is
    rendered whenever it is read, in the reader's language; the copies are rendered now in
    the patient's language, which the cabinet does not keep yet: Russian (whoever caused
    the notice — an operator, say — may be reading the site in another language).

    Call it inside the transaction of the change it reports: the outbox row commits with
    it, so a rolled-back change never sends anything.
    """
    params = params or {}
    event = WORDINGS[kind].event
    notification = Notification.objects.create(
        patient=patient, event=event, kind=kind, params=params, link=link
    )
    channels = channels_enabled(patient=patient, event=event)
    with translation.override(settings.LANGUAGE_CODE):
        title, body = notification.rendered()
    text = f"{title}\n{body}".strip() if body else title
    if SMS in channels and patient.phone:
        queue_sms(phone=patient.phone, text=f"ЕГИСЗ: {title}")
    if EMAIL in channels and patient.email:
        queue_email(to=patient.email, subject=f"ЕГИСЗ: {title}", body=text)
    return notification


def mark_read(*, patient, notification_ids: list[int] | None = None) -> int:
    """Marks the patient's notifications read (only theirs; all unread when ids is None)."""
    unread = Notification.objects.filter(patient=patient, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def set_preferences(*, patient, chosen: dict[str, set[str]], meta: RequestMeta) -> None:
    """Stores the channels chosen for every optional event (mandatory ones stay on)."""
    changes = {}
    for key, event in EVENT_TYPES.items():
        if event.mandatory:
            continue
        wanted = chosen.get(key, set())
        for channel in CHANNELS:
            enabled = channel in wanted
            Preference.objects.update_or_create(
                patient=patient, event=key, channel=channel, defaults={"enabled": enabled}
            )
            changes[f"{key}.{channel}"] = enabled
    record_event(
        action=CabinetAction.NOTIFICATION_PREFERENCES_CHANGED,
        meta=meta,
        actor=patient.user,
        preferences=changes,
    )
