"""«Личные данные»: what the page shows and where its buttons lead."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.patients.models import Address, Patient
from egisz.common.audit.services import record_event

PAGE = reverse("patients:personal_data")


def test_the_page_shows_the_patients_data(patient_client, patient):
    Patient.objects.filter(pk=patient.pk).update(inn="500100732259", workplace="ГБОУ Школа 1")
    Address.objects.create(
        patient=patient,
        kind="registration",
        postcode="101000",
        region="Москва",
        city="Москва",
        street="ул. Мясницкая",
        house="12",
        flat="3",
    )
    response = patient_client.get(PAGE)
    assert response.status_code == 200
    assert response.context["section"] == "personal"
    body = response.content.decode()
    for text in (
        "Иванова Мария Петровна",
        "12.04.1985",
        patient.snils_display,
        "500100732259",
        patient.phone_display,
        patient.email,
        "ГБОУ Школа 1",
        "101000, Москва, ул. Мясницкая, 12, кв. 3",
        "подтверждённая",
    ):
        assert text in body, text
    # No actual address yet: said so, with a way to add it.
    assert "Фактический адрес" in body
    assert "не указан" in body
    assert reverse("patients:edit_address", kwargs={"kind": "actual"}) in body
    assert reverse("patients:edit_address", kwargs={"kind": "registration"}) in body
    assert reverse("patients:edit_phone") in body
    assert reverse("patients:edit_email") in body
    assert body.count("Редактировать") == 3  # phone, e-mail, the registration address
    assert "меняются только по заявлению" in body


def test_missing_fields_are_said_to_be_missing(make_patient, login_as):
    somebody = make_patient(phone_number="", email="", snils="", birthdate="")
    body = login_as(somebody).get(PAGE).content.decode()
    assert "не указана" in body  # date of birth, e-mail
    assert body.count("Добавить") >= 4  # phone, e-mail, both addresses


@pytest.mark.parametrize(
    ("acr", "words"),
    [("urn:egisz:loa:confirmed", "подтверждённая"), ("", "не подтверждённая")],
)
def test_the_account_level_is_in_words(make_patient, login_as, acr, words):
    somebody = make_patient(acr=acr)
    Patient.objects.filter(pk=somebody.pk).update(level=acr)
    assert words in login_as(somebody).get(PAGE).content.decode()


def test_the_last_five_actions_and_a_link_to_the_journal(patient_client, patient):
    for n in range(7):
        record_event(action=CabinetAction.LOGIN, actor=patient.user, n=n)
    record_event(action=CabinetAction.NOTIFICATION_PREFERENCES_CHANGED, actor=patient.user)
    response = patient_client.get(PAGE)
    rows = response.context["recent_activity"]
    assert len(rows) == 5
    assert rows[0].label == "Изменены настройки уведомлений"
    assert reverse("patients:activity") in response.content.decode()


def test_links_to_the_profile_pages(patient_client, patient):
    body = patient_client.get(PAGE).content.decode()
    assert "Исправить ФИО или дату рождения" in body
    assert f'href="{reverse("profile:corrections")}"' in body
    assert "Заполнить профиль" in body
    assert f'href="{reverse("profile:complete")}"' in body

    Patient.objects.filter(pk=patient.pk).update(profile_completed_at=timezone.now())
    body = patient_client.get(PAGE).content.decode()
    assert "Заполнить профиль" not in body
    assert f'href="{reverse("profile:corrections")}"' in body


def test_the_birth_date_is_shown_as_a_date(patient_client, patient):
    Patient.objects.filter(pk=patient.pk).update(birth_date=date(2001, 2, 3))
    assert "03.02.2001" in patient_client.get(PAGE).content.decode()
