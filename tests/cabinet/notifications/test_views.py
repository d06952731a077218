"""Notifications on «Главная» and «Настройки» as the patient uses them."""

from django.urls import reverse

from egisz.cabinet.notifications.kinds import NotificationKind
from egisz.cabinet.notifications.models import Notification, Preference
from egisz.cabinet.notifications.services import notify_patient
from egisz.common.audit.models import AuditEvent


def test_unread_notifications_come_first_and_can_be_marked_read(patient_client, patient):
    old = notify_patient(patient=patient, kind=NotificationKind.PROFILE_COMPLETED)
    Notification.objects.filter(pk=old.pk).update(read_at=old.created_at)
    new = notify_patient(
        patient=patient,
        kind=NotificationKind.ATTACHMENT_REJECTED,
        params={"organization": "ГП № 2", "reason": "Нет мест"},
    )
    html = patient_client.get("/").content.decode()
    assert html.index("Прикрепление отклонено: ГП № 2") < html.index("Профиль заполнен")
    assert "1 непрочитанное" in html

    response = patient_client.post(reverse("notifications:mark_read"), {"id": new.pk, "next": "/"})
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.read_at is not None


def test_mark_all_read(patient_client, patient):
    for _ in range(3):
        notify_patient(patient=patient, kind=NotificationKind.PROFILE_COMPLETED)
    patient_client.post(reverse("notifications:mark_read"), {"next": "/"})
    assert not Notification.objects.filter(patient=patient, read_at__isnull=True).exists()


def test_another_patients_notification_cannot_be_touched(patient_client, other_patient):
    theirs = notify_patient(
        patient=other_patient,
        kind=NotificationKind.CORRECTION_REJECTED,
        params={"reason": "Чужое уведомление"},
    )
    patient_client.post(reverse("notifications:mark_read"), {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert (
        "Чужое уведомление"
        not in patient_client.get(reverse("notifications:list")).content.decode()
    )


def test_mark_read_refuses_an_outside_next(patient_client):
    response = patient_client.post(
        reverse("notifications:mark_read"), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:home")


def test_mark_read_is_post_only(patient_client):
    assert patient_client.get(reverse("notifications:mark_read")).status_code == 405


def test_preferences_are_saved_per_event_and_channel_and_audited(patient_client, patient):
    url = reverse("notifications:settings")
    html = patient_client.get(url).content.decode()
    assert "Уведомления" in html and "Сменить пароль" in html

    response = patient_client.post(url, {"attachment__sms": "on", "corrections__email": "on"})
    assert response.status_code == 302
    stored = {(p.event, p.channel): p.enabled for p in Preference.objects.filter(patient=patient)}
    assert stored[("attachment", "sms")] is True
    assert stored[("attachment", "email")] is False
    assert stored[("corrections", "email")] is True
    assert ("contacts", "sms") not in stored  # mandatory: not a preference at all
    assert AuditEvent.objects.filter(action="cabinet.notification_preferences_changed").exists()


def test_security_notices_cannot_be_switched_off(patient_client):
    html = patient_client.get(reverse("notifications:settings")).content.decode()
    assert 'name="contacts__sms" id="id_contacts__sms" checked disabled' in html


def test_settings_link_to_the_providers_pages(patient_client, settings):
    settings.IDP_ACCOUNT_URL = "https://idp.example"
    html = patient_client.get(reverse("notifications:settings")).content.decode()
    assert 'href="https://idp.example/settings/sessions/"' in html
    assert 'href="https://idp.example/settings/linked-services/"' in html
