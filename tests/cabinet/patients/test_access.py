"""Only the logged-in patient, in full mode, reaches these pages, and only their own data."""

import pytest
from django.urls import reverse

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.patients import pending
from egisz.cabinet.patients.models import Address, Patient
from egisz.cabinet.portal.limited import REFUSED, enter_limited_mode
from egisz.common.audit.services import record_event

from .conftest import code_sent_to

GET_PAGES = [
    reverse("patients:personal_data"),
    reverse("patients:activity"),
    reverse("patients:edit_phone"),
    reverse("patients:edit_email"),
    reverse("patients:edit_address", kwargs={"kind": "registration"}),
    reverse("patients:edit_address", kwargs={"kind": "actual"}),
]
ALL_PAGES = [
    *GET_PAGES,
    reverse("patients:confirm_phone"),
    reverse("patients:resend_phone"),
    reverse("patients:confirm_email"),
    reverse("patients:resend_email"),
    reverse("patients:confirm_address", kwargs={"kind": "registration"}),
    reverse("patients:resend_address", kwargs={"kind": "registration"}),
]


@pytest.mark.parametrize("url", ALL_PAGES)
def test_anonymous_visitors_go_to_the_login(client, db, url):
    response = client.post(url) if "resend" in url else client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("sso:login"))


@pytest.mark.parametrize("url", GET_PAGES)
def test_limited_mode_goes_to_home(client, db, url):
    session = client.session
    enter_limited_mode(type("R", (), {"session": session})(), reason=REFUSED)
    session.save()
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == reverse("portal:home")


@pytest.mark.parametrize("url", GET_PAGES)
def test_staff_without_a_patient_record_see_no_patient_page(operator_client, url):
    response = operator_client.get(url)
    assert response.status_code == 302
    assert "Иванова" not in response.content.decode()


@pytest.mark.parametrize("url", GET_PAGES)
def test_another_patients_data_never_appears(patient_client, patient, other_patient, url):
    Patient.objects.filter(pk=other_patient.pk).update(
        inn="500100732259", workplace="ООО Секретное место"
    )
    for kind in ("registration", "actual"):
        Address.objects.create(
            patient=other_patient,
            kind=kind,
            postcode="630099",
            region="Новосибирская область",
            city="Новосибирск",
            street="Красный проспект",
            house="77",
        )
    record_event(action=CabinetAction.CORRECTION_FILED, actor=other_patient.user)
    response = patient_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for secret in (
        "Петров Сергей",
        "Сергей",
        other_patient.snils_display,
        other_patient.phone_display,
        other_patient.email,
        "500100732259",
        "ООО Секретное место",
        "630099",
        "Красный проспект",
        "Подано заявление на исправление ФИО или даты рождения",
    ):
        assert secret not in body, (url, secret)


def test_a_pending_change_of_one_patient_cannot_be_confirmed_by_another(
    client, patient, other_patient
):
    client.force_login(patient.user)
    client.post(reverse("patients:edit_phone"), {"phone": "+79261234567"})
    code = code_sent_to("+79261234567")
    state = client.session[pending.PLANS[pending.PHONE].key]

    # Another patient's session, given (somehow) the first patient's pending state and code.
    client.logout()
    client.force_login(other_patient.user)
    session = client.session
    session[pending.PLANS[pending.PHONE].key] = state
    session.save()
    response = client.post(reverse("patients:confirm_phone"), {"code": code})

    assert response.status_code == 302
    assert response.url == reverse("patients:edit_phone")
    assert Patient.objects.get(pk=other_patient.pk).phone == other_patient.phone
    assert Patient.objects.get(pk=patient.pk).phone == patient.phone


def test_a_pending_address_of_one_patient_cannot_be_confirmed_by_another(
    client, patient, other_patient, address_data
):
    client.force_login(patient.user)
    url = reverse("patients:edit_address", kwargs={"kind": "actual"})
    client.post(url, address_data)
    code = code_sent_to(patient.phone)
    state = client.session[pending.PLANS[pending.ADDRESS].key]

    client.logout()
    client.force_login(other_patient.user)
    session = client.session
    session[pending.PLANS[pending.ADDRESS].key] = state
    session.save()
    confirm = reverse("patients:confirm_address", kwargs={"kind": "actual"})
    assert client.get(confirm).url == url
    client.post(confirm, {"code": code})
    assert not Address.objects.exists()


def test_a_session_without_the_pending_change_cannot_use_the_code(client, patient, other_patient):
    client.force_login(patient.user)
    client.post(reverse("patients:edit_email"), {"email": "shared@example.com"})
    code = code_sent_to("shared@example.com")
    client.logout()
    client.force_login(other_patient.user)
    response = client.post(reverse("patients:confirm_email"), {"code": code})
    assert response.url == reverse("patients:edit_email")
    assert Patient.objects.get(pk=other_patient.pk).email == other_patient.email
