"""Wherever the cabinet sends a patient to support («если это сделали не вы…», the activity
journal), it says how to reach it: the contact from EGISZ_SUPPORT_CONTACT."""

import pytest
from django.urls import reverse

from egisz.cabinet.notifications.models import Notification

from .conftest import code_sent_to, last_message

CONTACT = "8 800 505-05-05, lk@egisz.example"
NEW_PHONE = "+79261234567"


@pytest.fixture(autouse=True)
def contact(settings):
    settings.SUPPORT_CONTACT = CONTACT


def test_a_changed_phone_tells_the_old_number_whom_to_call(patient_client, patient):
    old = patient.phone
    patient_client.post(reverse("patients:edit_phone"), {"phone": NEW_PHONE})
    patient_client.post(reverse("patients:confirm_phone"), {"code": code_sent_to(NEW_PHONE)})
    assert last_message(old).body.endswith(f"сообщите в службу поддержки: {CONTACT}.")
    notice = Notification.objects.get(patient=patient, event="contacts")
    assert CONTACT in notice.body


def test_the_activity_journal_says_whom_to_tell(patient_client):
    page = patient_client.get(reverse("patients:activity")).content.decode()
    assert f"сообщите о проблеме в службу поддержки: {CONTACT}" in page
