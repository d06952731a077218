"""Notifications reach the cabinet always and SMS/e-mail on the channels the patient chose."""

from egisz.cabinet.notifications.models import Notification
from egisz.cabinet.notifications.services import notify_patient, set_preferences
from egisz.common.outbox.models import Message


def test_a_notice_is_kept_in_the_cabinet_and_sent_on_default_channels(patient):
    notify_patient(patient=patient, event="attachment", title="Прикрепление принято")
    assert Notification.objects.filter(patient=patient, read_at__isnull=True).count() == 1
    targets = sorted(Message.objects.values_list("channel", "recipient"))
    assert targets == sorted([("email", patient.email), ("sms", patient.phone)])


def test_a_channel_turned_off_sends_nothing_there(patient, meta):
    set_preferences(patient=patient, chosen={"attachment": {"email"}}, meta=meta)
    notify_patient(patient=patient, event="attachment", title="Прикрепление принято")
    assert list(Message.objects.values_list("channel", flat=True)) == ["email"]


def test_security_notices_ignore_preferences(patient, meta):
    set_preferences(patient=patient, chosen={}, meta=meta)
    notify_patient(patient=patient, event="contacts", title="Телефон изменён")
    assert Message.objects.count() == 2
