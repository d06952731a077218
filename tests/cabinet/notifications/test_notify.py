"""Notifications reach the cabinet always and SMS/e-mail on the channels the patient chose.
They are stored as a kind and its data and worded when read, in the reader's language; the
SMS and e-mail copies are worded in Russian (the patient's language is not kept)."""

from django.test import Client
from django.urls import reverse
from django.utils.translation import override

from egisz.cabinet.notifications.kinds import NotificationKind
from egisz.cabinet.notifications.models import Notification
from egisz.cabinet.notifications.services import notify_patient, set_preferences
from egisz.common.outbox.models import Message
from tests.common.catalogue import english

ACCEPTED = NotificationKind.ATTACHMENT_ACCEPTED
ACCEPTED_PARAMS = {
    "organization": "ГП № 2",
    "organization_full_name": "ГБУЗ «Городская поликлиника № 2»",
    "address": "Новосибирск, Красный проспект, 1",
}
REJECTED_TITLE = "Прикрепление отклонено: %(organization)s"
REASON = "Причина: %(reason)s"


def test_a_notice_is_kept_in_the_cabinet_and_sent_on_default_channels(patient):
    notify_patient(patient=patient, kind=ACCEPTED, params=ACCEPTED_PARAMS)
    assert Notification.objects.filter(patient=patient, read_at__isnull=True).count() == 1
    targets = sorted(Message.objects.values_list("channel", "recipient"))
    assert targets == sorted([("email", patient.email), ("sms", patient.phone)])
    sms = Message.objects.get(channel="sms")
    assert sms.body == "ЕГИСЗ: Прикрепление принято: ГП № 2"
    email = Message.objects.get(channel="email")
    assert email.body == (
        "Прикрепление принято: ГП № 2\nВы прикреплены к медицинской организации "
        "«ГБУЗ «Городская поликлиника № 2»», Новосибирск, Красный проспект, 1."
    )


def test_a_channel_turned_off_sends_nothing_there(patient, meta):
    set_preferences(patient=patient, chosen={"attachment": {"email"}}, meta=meta)
    notify_patient(patient=patient, kind=ACCEPTED, params=ACCEPTED_PARAMS)
    assert list(Message.objects.values_list("channel", flat=True)) == ["email"]


def test_security_notices_ignore_preferences(patient, meta):
    set_preferences(patient=patient, chosen={}, meta=meta)
    notify_patient(
        patient=patient, kind=NotificationKind.PHONE_CHANGED, params={"new": "+7 *** ***-45-67"}
    )
    assert Message.objects.count() == 2


def test_a_notice_is_stored_as_its_kind_and_data_not_as_words(patient):
    notice = notify_patient(
        patient=patient,
        kind=NotificationKind.ATTACHMENT_REJECTED,
        params={"organization": "ГП № 2", "reason": "Нет свободных мест"},
    )
    stored = Notification.objects.get(pk=notice.pk)
    assert (stored.kind, stored.event) == ("attachment_rejected", "attachment")
    assert stored.params == {"organization": "ГП № 2", "reason": "Нет свободных мест"}
    assert (stored.legacy_title, stored.legacy_body) == ("", "")


def test_the_notice_is_worded_in_the_readers_language(patient):
    notify_patient(
        patient=patient,
        kind=NotificationKind.ATTACHMENT_REJECTED,
        params={"organization": "ГП № 2", "reason": "Нет свободных мест"},
    )
    russian_reader, english_reader = Client(), Client()
    russian_reader.force_login(patient.user)
    english_reader.force_login(patient.user)
    english_reader.post("/i18n/setlang/", {"language": "en", "next": "/"})
    with english(
        {REJECTED_TITLE: "Attachment refused: %(organization)s", REASON: "Reason: %(reason)s"}
    ):
        in_english = english_reader.get(reverse("notifications:list")).content.decode()
        in_russian = russian_reader.get(reverse("notifications:list")).content.decode()
    assert "Attachment refused: ГП № 2" in in_english
    assert "Reason: Нет свободных мест" in in_english
    assert "Прикрепление отклонено: ГП № 2" in in_russian


def test_the_copies_are_in_russian_whoever_caused_the_notice(patient):
    # An operator reading the site in English decides.
    with english({REJECTED_TITLE: "Attachment refused: %(organization)s"}), override("en"):
        notify_patient(
            patient=patient,
            kind=NotificationKind.ATTACHMENT_REJECTED,
            params={"organization": "ГП № 2", "reason": "Нет мест"},
        )
    assert Message.objects.get(channel="sms").body == "ЕГИСЗ: Прикрепление отклонено: ГП № 2"


def test_every_kind_has_a_wording_and_an_event_with_preferences():
    from egisz.cabinet.notifications.events import EVENT_TYPES
    from egisz.cabinet.notifications.kinds import WORDINGS

    assert set(WORDINGS) == set(NotificationKind) - {NotificationKind.LEGACY}
    assert all(wording.event in EVENT_TYPES for wording in WORDINGS.values())
