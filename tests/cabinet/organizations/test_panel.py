"""«Главная»: the policy and attachment panel; the activity journal's words."""

import datetime
import re

import pytest

from egisz.cabinet.organizations.models import Attachment
from egisz.common.identifiers import format_enp

from .conftest import valid_enp

pytestmark = pytest.mark.django_db


def test_home_panel_without_a_policy_says_what_to_do(patient_client):
    html = patient_client.get("/").content.decode()
    assert "Полис ОМС и прикрепление" in html
    assert "Полис ОМС не указан." in html
    assert "/policy/" in html


def test_home_panel_shows_enp_insurer_and_attachment(
    patient_client, patient, organization, make_policy
):
    make_policy(patient, enp=valid_enp(3), insurer="АО «МАКС-М»")
    html = patient_client.get("/").content.decode()
    assert format_enp(valid_enp(3)) in html
    assert "АО «МАКС-М»" in html
    assert "Вы пока не прикреплены" in html
    Attachment.objects.create(patient=patient, organization=organization, status="accepted")
    html = patient_client.get("/").content.decode()
    assert f"Вы прикреплены к организации «{organization.short_name}»" in html


def test_the_attachment_and_its_date_are_one_sentence(
    patient_client, patient, organization, make_policy
):
    make_policy(patient)
    decided = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)
    Attachment.objects.create(
        patient=patient, organization=organization, status="accepted", decided_at=decided
    )
    text = " ".join(
        re.sub(r"<[^>]+>", " ", patient_client.get("/policy/").content.decode()).split()
    )
    # Not «Вы прикреплены к организации «…». с 05.12.2026».
    assert f"Вы прикреплены к организации «{organization.short_name}» с 05.12.2026." in text


def test_home_panel_shows_a_pending_request(patient_client, patient, organization, make_policy):
    make_policy(patient)
    Attachment.objects.create(patient=patient, organization=organization)
    html = patient_client.get("/").content.decode()
    assert "на рассмотрении" in html


def test_home_panel_shows_only_the_patients_own(
    patient_client, other_patient, organization, make_policy
):
    make_policy(other_patient, enp=valid_enp(4))
    Attachment.objects.create(patient=other_patient, organization=organization, status="accepted")
    html = patient_client.get("/").content.decode()
    assert format_enp(valid_enp(4)) not in html
    assert organization.short_name not in html


def test_activity_labels_are_registered():
    activity = pytest.importorskip("egisz.cabinet.patients.activity")
    for action in (
        "cabinet.policy_saved",
        "cabinet.attachment_requested",
        "cabinet.attachment_withdrawn",
        "cabinet.attachment_accepted",
        "cabinet.attachment_rejected",
        "cabinet.attachment_ended",
    ):
        assert activity.activity_label(action) != activity.DEFAULT_LABEL
