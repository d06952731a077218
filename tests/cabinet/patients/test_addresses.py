"""Addresses: structured, validated field by field, confirmed with an SMS code sent to the
patient's current phone; only the right code stores them (one per kind)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from egisz.cabinet.notifications.models import Notification
from egisz.cabinet.patients.models import Address
from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message

from .conftest import code_sent_to, wrong_code


def edit_url(kind="registration"):
    return reverse("patients:edit_address", kwargs={"kind": kind})


def confirm_url(kind="registration"):
    return reverse("patients:confirm_address", kwargs={"kind": kind})


def resend_url(kind="registration"):
    return reverse("patients:resend_address", kwargs={"kind": kind})


def test_the_form_lists_regions_and_fields(patient_client):
    page = patient_client.get(edit_url()).content.decode()
    for label in ("Индекс", "Регион", "Город или населённый пункт", "Улица", "Дом", "Квартира"):
        assert label in page
    assert '<option value="77">Москва</option>' in page


def test_an_address_is_saved_only_with_the_sms_code(patient_client, patient, address_data):
    response = patient_client.post(edit_url(), address_data)
    assert response.status_code == 302
    assert response.url == confirm_url()
    assert not Address.objects.exists()
    message = Message.objects.get(recipient=patient.phone)
    assert message.channel == Message.Channel.SMS
    page = patient_client.get(confirm_url()).content.decode()
    assert "101000, Москва, ул. Мясницкая, 12к2, кв. 15" in page

    done = patient_client.post(confirm_url(), {"code": code_sent_to(patient.phone)})

    assert done.url == reverse("patients:personal_data")
    address = Address.objects.get(patient=patient, kind="registration")
    assert (address.postcode, address.region, address.city) == ("101000", "Москва", "Москва")
    assert (address.street, address.house, address.flat) == ("ул. Мясницкая", "12к2", "15")
    assert Notification.objects.filter(patient=patient, event="contacts").count() == 1
    event = AuditEvent.objects.get(action="cabinet.address_changed")
    assert event.details == {"address_kind": "registration", "created": True}
    assert event.subject_id == str(patient.user_id)
    followed = patient_client.get(done.url).content.decode()
    assert "101000, Москва, ул. Мясницкая, 12к2, кв. 15" in followed


def test_an_existing_address_is_updated_in_place(patient_client, patient, address_data):
    Address.objects.create(
        patient=patient,
        kind="actual",
        postcode="190000",
        region="Санкт-Петербург",
        city="Санкт-Петербург",
        street="Невский проспект",
        house="1",
    )
    page = patient_client.get(edit_url("actual")).content.decode()
    assert '<option value="78" selected>' in page
    patient_client.post(edit_url("actual"), address_data)
    patient_client.post(confirm_url("actual"), {"code": code_sent_to(patient.phone)})
    assert Address.objects.filter(patient=patient).count() == 1
    assert Address.objects.get(patient=patient, kind="actual").street == "ул. Мясницкая"
    assert AuditEvent.objects.get(action="cabinet.address_changed").details["created"] is False


def test_a_wrong_code_stores_nothing_and_three_burn_it(patient_client, patient, address_data):
    patient_client.post(edit_url(), address_data)
    code = code_sent_to(patient.phone)
    first = patient_client.post(confirm_url(), {"code": wrong_code(code)})
    assert first.status_code == 400
    assert "Неверный код. Осталось 2 попытки." in first.content.decode()
    patient_client.post(confirm_url(), {"code": wrong_code(code)})
    third = patient_client.post(confirm_url(), {"code": wrong_code(code)})
    assert "слишком много раз" in third.content.decode()
    assert patient_client.post(confirm_url(), {"code": code}).status_code == 400
    assert not Address.objects.exists()
    assert not Notification.objects.exists()


def test_an_expired_code_stores_nothing(patient_client, patient, address_data, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    patient_client.post(edit_url(), address_data)
    time_machine.shift(timedelta(minutes=5, seconds=1))
    response = patient_client.post(confirm_url(), {"code": code_sent_to(patient.phone)})
    assert "Срок действия кода истёк" in response.content.decode()
    assert not Address.objects.exists()


def test_resend_respects_the_interval(patient_client, patient, address_data, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    patient_client.post(edit_url(), address_data)
    too_soon = patient_client.post(resend_url(), follow=True)
    assert "Новый код можно запросить через 61 с." in too_soon.content.decode()
    assert Message.objects.filter(recipient=patient.phone).count() == 1
    time_machine.shift(timedelta(seconds=61))
    patient_client.post(resend_url())
    assert Message.objects.filter(recipient=patient.phone).count() == 2
    patient_client.post(confirm_url(), {"code": code_sent_to(patient.phone)})
    assert Address.objects.filter(patient=patient).exists()


def test_the_code_confirms_only_the_kind_it_was_asked_for(patient_client, patient, address_data):
    patient_client.post(edit_url("registration"), address_data)
    response = patient_client.post(confirm_url("actual"), {"code": code_sent_to(patient.phone)})
    assert response.url == edit_url("actual")
    assert not Address.objects.exists()


def test_without_a_phone_the_patient_is_told_to_add_one(make_patient, login_as, address_data):
    somebody = make_patient(phone_number="")
    client = login_as(somebody)
    page = client.get(edit_url()).content.decode()
    assert "Сначала добавьте телефон" in page
    assert reverse("patients:edit_phone") + "?next=%2Fpersonal%2Faddress%2Fregistration%2F" in page
    response = client.post(edit_url(), address_data)
    assert response.status_code == 400
    assert not Message.objects.exists()
    assert not Address.objects.exists()


def test_a_phone_changed_meanwhile_starts_the_address_over(patient_client, patient, address_data):
    patient_client.post(edit_url(), address_data)
    code = code_sent_to(patient.phone)
    type(patient).objects.filter(pk=patient.pk).update(phone="+79031112233")
    response = patient_client.post(confirm_url(), {"code": code})
    assert response.url == edit_url()
    assert not Address.objects.exists()


def test_an_unknown_kind_is_not_found(patient_client):
    assert patient_client.get("/personal/address/holiday/").status_code == 404
    assert patient_client.post("/personal/address/holiday/confirm/").status_code == 404


def test_the_address_code_is_throttled(patient_client, patient, address_data, settings):
    settings.CODE_IP_RATE = "2/10m"
    patient_client.post(edit_url(), address_data)
    patient_client.post(confirm_url(), {"code": "000000"})
    patient_client.post(confirm_url(), {"code": "000000"})
    response = patient_client.post(confirm_url(), {"code": code_sent_to(patient.phone)})
    assert response.status_code == 429
    assert not Address.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postcode", "", "Заполните поле."),
        ("postcode", "12345", "Индекс состоит из 6 цифр"),
        ("postcode", "1234567", "Индекс состоит из 6 цифр"),
        ("postcode", "12a456", "Индекс состоит из 6 цифр"),
        ("region", "", "Выберите регион из списка."),
        ("region", "99", "Выберите регион из списка."),
        ("region", "Москва", "Выберите регион из списка."),
        ("city", "   ", "Заполните поле."),
        ("city", "Москва<script>", "Допустимы буквы, цифры, пробел и знаки препинания."),
        ("city", "123", "Название должно содержать буквы."),
        ("city", "М" * 101, "Не длиннее 100 символов."),
        ("street", "ул. Ленина\x07", "Допустимы буквы, цифры, пробел и знаки препинания."),
        ("street", "ул. Ленина; DROP", "Допустимы буквы, цифры, пробел и знаки препинания."),
        ("street", "у" * 151, "Не длиннее 150 символов."),
        ("house", "", "Заполните поле."),
        ("house", "без номера", "В номере дома должна быть хотя бы одна цифра."),
        ("house", "12#", "Допустимы буквы, цифры, пробел"),
        ("house", "1" * 21, "Не длиннее 20 символов."),
        ("flat", "12345678901", "Не длиннее 10 символов."),
        ("flat", "15!", "Допустимы буквы, цифры и знаки"),
    ],
)
def test_bad_address_parts_are_answered_next_to_their_field(
    patient_client, address_data, field, value, message
):
    response = patient_client.post(edit_url(), {**address_data, field: value})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body
    error_block = body.split(f'id="id_{field}_error">', 1)[1].split("</div>", 1)[0]
    assert message in error_block
    assert not Message.objects.exists()


def test_address_parts_are_trimmed_and_the_flat_is_optional(patient_client, patient, address_data):
    data = {
        **address_data,
        "postcode": " 101 000 ",
        "city": "  Москва  ",
        "street": "ул.   Мясницкая ",
        "flat": "",
    }
    patient_client.post(edit_url(), data)
    patient_client.post(confirm_url(), {"code": code_sent_to(patient.phone)})
    address = Address.objects.get(patient=patient)
    assert (address.postcode, address.city, address.street, address.flat) == (
        "101000",
        "Москва",
        "ул. Мясницкая",
        "",
    )


@pytest.mark.parametrize(
    ("region", "city", "shown"),
    [
        ("Москва", "Москва", "117042, Москва, ул. Южнобутовская, 10"),
        ("Санкт-Петербург", "г. Санкт-Петербург", "117042, Санкт-Петербург, ул. Южнобутовская, 10"),
        ("Московская область", "Химки", "117042, Московская область, Химки, ул. Южнобутовская, 10"),
    ],
)
def test_a_federal_city_is_named_once(region, city, shown):
    # A federal city is its own region: «117042, Москва, Москва, …» read as a slip.
    address = Address(
        kind="registration",
        postcode="117042",
        region=region,
        city=city,
        street="ул. Южнобутовская",
        house="10",
    )
    assert address.display == shown
