"""Changing the phone and e-mail: a code goes to the NEW contact, only the right code
changes anything, the old contact is told, and everything is in the journal."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from egisz.cabinet.notifications.models import Notification
from egisz.cabinet.patients.models import Patient
from egisz.common.audit.models import AuditEvent
from egisz.common.codes.models import OneTimeCode
from egisz.common.outbox.models import Message

from .conftest import code_sent_to, last_message, wrong_code

NEW_PHONE = "+79261234567"
NEW_EMAIL = "new.address@example.com"

EDIT_PHONE = reverse("patients:edit_phone")
CONFIRM_PHONE = reverse("patients:confirm_phone")
RESEND_PHONE = reverse("patients:resend_phone")
EDIT_EMAIL = reverse("patients:edit_email")
CONFIRM_EMAIL = reverse("patients:confirm_email")
RESEND_EMAIL = reverse("patients:resend_email")


def start_phone_change(client, phone=NEW_PHONE, **extra):
    response = client.post(EDIT_PHONE, {"phone": phone, **extra})
    assert response.status_code == 302, response.content.decode()
    assert response.url == CONFIRM_PHONE
    return response


def reload(patient) -> Patient:
    return Patient.objects.get(pk=patient.pk)


# --- step 1 -----------------------------------------------------------------------------


def test_the_phone_form_shows_the_current_number(patient_client, patient):
    response = patient_client.get(EDIT_PHONE)
    assert response.status_code == 200
    assert patient.phone_display in response.content.decode()
    assert "Получить код" in response.content.decode()


def test_a_new_phone_gets_an_sms_code_and_nothing_changes_yet(patient_client, patient):
    old = patient.phone
    start_phone_change(patient_client, "8 (926) 123-45-67")
    message = last_message(NEW_PHONE)
    assert message.channel == Message.Channel.SMS
    assert len(code_sent_to(NEW_PHONE)) == 6
    assert reload(patient).phone == old
    assert not Message.objects.filter(recipient=old).exists()
    assert OneTimeCode.objects.filter(purpose="cabinet_phone_change", target=NEW_PHONE).exists()
    event = AuditEvent.objects.get(action="cabinet.phone_change_code_sent")
    assert event.subject_id == str(patient.user_id)
    assert NEW_PHONE not in str(event.details)


def test_the_same_phone_is_answered_with_a_message(patient_client, patient):
    response = patient_client.post(EDIT_PHONE, {"phone": patient.phone})
    assert response.status_code == 400
    assert "Этот номер уже указан в кабинете" in response.content.decode()
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "Заполните поле."),
        ("12345", "Укажите номер мобильного телефона"),
        ("+1 202 555 0143", "Нужен номер российского мобильного оператора"),
        ("+7 495 123-45-67", "Это не номер мобильного телефона"),
        ("+7 916 CALL-ME", "Укажите номер мобильного телефона"),
        ("9" * 40, "Номер телефона слишком длинный."),
    ],
)
def test_a_bad_phone_is_answered_next_to_the_field(patient_client, phone, message):
    response = patient_client.post(EDIT_PHONE, {"phone": phone})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="field field--error"' in response.content.decode()
    assert not Message.objects.exists()


# --- step 2 -----------------------------------------------------------------------------


def test_the_right_code_changes_the_phone_and_tells_the_old_number(patient_client, patient):
    old = patient.phone
    start_phone_change(patient_client)
    page = patient_client.get(CONFIRM_PHONE)
    assert "+7 926 ***-**-67" in page.content.decode()

    response = patient_client.post(CONFIRM_PHONE, {"code": code_sent_to(NEW_PHONE)})

    assert response.status_code == 302
    assert response.url == reverse("patients:personal_data")
    assert reload(patient).phone == NEW_PHONE
    notice = last_message(old)
    assert notice.channel == Message.Channel.SMS
    assert "+7 926 ***-**-67" in notice.body
    assert NEW_PHONE not in notice.body
    assert Notification.objects.filter(patient=patient, event="contacts").count() == 1
    event = AuditEvent.objects.get(action="cabinet.phone_changed")
    assert event.details == {"old": "+7 916 ***-**-" + old[-2:], "new": "+7 926 ***-**-67"}
    assert event.subject_id == event.actor_id == str(patient.user_id)
    followed = patient_client.get(response.url)
    assert "Номер телефона изменён." in followed.content.decode()
    # The change is done: the code cannot be used twice, the flow is over.
    assert patient_client.get(CONFIRM_PHONE).url == EDIT_PHONE


def test_a_wrong_code_changes_nothing(patient_client, patient):
    old = patient.phone
    start_phone_change(patient_client)
    response = patient_client.post(CONFIRM_PHONE, {"code": wrong_code(code_sent_to(NEW_PHONE))})
    assert response.status_code == 400
    assert "Неверный код. Осталось 2 попытки." in response.content.decode()
    assert reload(patient).phone == old
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action="cabinet.phone_changed").exists()
    rejected = AuditEvent.objects.get(action="cabinet.change_code_rejected")
    assert rejected.result == AuditEvent.Result.FAILURE


def test_three_wrong_tries_burn_the_code(patient_client, patient):
    old = patient.phone
    start_phone_change(patient_client)
    code = code_sent_to(NEW_PHONE)
    for _ in range(2):
        patient_client.post(CONFIRM_PHONE, {"code": wrong_code(code)})
    third = patient_client.post(CONFIRM_PHONE, {"code": wrong_code(code)})
    assert "Код введён неверно слишком много раз" in third.content.decode()
    late = patient_client.post(CONFIRM_PHONE, {"code": code})
    assert late.status_code == 400
    assert "Код недействителен. Запросите новый код." in late.content.decode()
    assert reload(patient).phone == old


def test_an_expired_code_changes_nothing(patient_client, patient, time_machine):
    old = patient.phone
    time_machine.move_to(timezone.now(), tick=False)
    start_phone_change(patient_client)
    code = code_sent_to(NEW_PHONE)
    time_machine.shift(timedelta(minutes=5, seconds=1))
    response = patient_client.post(CONFIRM_PHONE, {"code": code})
    assert response.status_code == 400
    assert "Срок действия кода истёк" in response.content.decode()
    assert reload(patient).phone == old


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_a_malformed_code_is_answered_with_a_message(patient_client, code):
    start_phone_change(patient_client)
    response = patient_client.post(CONFIRM_PHONE, {"code": code})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Введите код из сообщения." in body or "Код состоит из 6 цифр." in body
    # A malformed code costs no try.
    assert OneTimeCode.objects.get().failed_attempts == 0


def test_the_confirm_step_without_a_pending_change_starts_over(patient_client):
    response = patient_client.get(CONFIRM_PHONE)
    assert response.status_code == 302
    assert response.url == EDIT_PHONE
    assert patient_client.post(CONFIRM_PHONE, {"code": "123456"}).url == EDIT_PHONE
    assert patient_client.post(RESEND_PHONE).url == EDIT_PHONE


def test_a_pending_change_expires_with_its_time(patient_client, patient, settings, time_machine):
    settings.SESSION_IDLE_MINUTES = 120
    time_machine.move_to(timezone.now(), tick=False)
    start_phone_change(patient_client)
    time_machine.shift(timedelta(minutes=31))
    response = patient_client.get(CONFIRM_PHONE)
    assert response.url == EDIT_PHONE


# --- sending again ------------------------------------------------------------------------


def test_resend_waits_for_the_interval(patient_client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    start_phone_change(patient_client)
    first = code_sent_to(NEW_PHONE)
    page = patient_client.get(CONFIRM_PHONE).content.decode()
    assert "Отправить код ещё раз" in page
    assert "Отправить код ещё раз можно через" in page

    too_soon = patient_client.post(RESEND_PHONE, follow=True)
    assert "Новый код можно запросить через" in too_soon.content.decode()
    assert Message.objects.filter(recipient=NEW_PHONE).count() == 1

    time_machine.shift(timedelta(seconds=61))
    response = patient_client.post(RESEND_PHONE)
    assert response.url == CONFIRM_PHONE
    assert Message.objects.filter(recipient=NEW_PHONE).count() == 2
    second = code_sent_to(NEW_PHONE)
    if first != second:
        # The older code was replaced by the new one.
        old_try = patient_client.post(CONFIRM_PHONE, {"code": first})
        assert old_try.status_code == 400
    assert patient_client.post(CONFIRM_PHONE, {"code": second}).status_code == 302


def test_asking_again_for_the_same_number_goes_to_the_code_already_sent(patient_client):
    start_phone_change(patient_client)
    again = patient_client.post(EDIT_PHONE, {"phone": NEW_PHONE})
    assert again.status_code == 302
    assert again.url == CONFIRM_PHONE
    assert Message.objects.filter(recipient=NEW_PHONE).count() == 1


def test_the_hourly_limit_is_answered_next_to_the_field(patient_client, settings, time_machine):
    settings.OTP_MAX_PER_HOUR = 1
    settings.SESSION_IDLE_MINUTES = 120
    time_machine.move_to(timezone.now(), tick=False)
    start_phone_change(patient_client)
    time_machine.shift(timedelta(minutes=2))
    # The pending change is forgotten (another device), the number is the same: the code
    # cannot be sent again within the hour, and the page says how long to wait.
    session = patient_client.session
    session.pop("egisz_cabinet_pending_phone", None)
    session.save()
    response = patient_client.post(EDIT_PHONE, {"phone": NEW_PHONE})
    assert response.status_code == 400
    assert "Новый код можно запросить через 59 мин." in response.content.decode()


def test_a_patient_gets_at_most_its_budget_of_codes_to_new_numbers(
    patient_client, other_patient, login_as, settings, time_machine
):
    """Typing one new number after another (from any address) stops at the account's daily
    budget of SMS, with the reason and the wait next to the field."""
    settings.SMS_BUDGET_PER_ACCOUNT = "2/d"
    # 21:30 UTC: the day's budget comes back at midnight UTC, 2.5 hours later (rounded up).
    time_machine.move_to(datetime(2026, 5, 4, 21, 30, tzinfo=UTC), tick=False)
    for n, phone in enumerate(["+79261110001", "+79031110002"]):
        start_phone_change(patient_client, phone, REMOTE_ADDR=f"198.51.100.{n + 1}")
    response = patient_client.post(
        EDIT_PHONE, {"phone": "+79851110003"}, REMOTE_ADDR="198.51.100.9"
    )
    assert response.status_code == 400
    assert (
        "Слишком много запросов кода из вашей учётной записи. Попробуйте снова через 3 ч."
        in response.content.decode()
    )
    assert not Message.objects.filter(recipient="+79851110003").exists()
    # Another patient's budget is their own.
    start_phone_change(login_as(other_patient), "+79851110003")
    assert Message.objects.filter(recipient="+79851110003").count() == 1


def test_the_operators_alert_stays_in_the_journal_when_the_code_is_refused(
    patient_client, settings
):
    settings.SMS_BUDGET_GLOBAL = "1/h"
    start_phone_change(patient_client, "+79261110001")
    response = patient_client.post(EDIT_PHONE, {"phone": "+79031110002"})
    assert response.status_code == 400
    assert "Слишком много запросов кода. Попробуйте снова" in response.content.decode()
    assert AuditEvent.objects.filter(action="alert.sms_ceiling_reached").count() == 1
    patient_client.post(EDIT_PHONE, {"phone": "+79851110003"})
    assert AuditEvent.objects.filter(action="alert.sms_ceiling_reached").count() == 1
    assert Message.objects.filter(channel="sms").count() == 1


# --- where to go afterwards ---------------------------------------------------------------


def test_next_brings_the_patient_back(patient_client):
    target = reverse("patients:edit_address", kwargs={"kind": "registration"})
    page = patient_client.get(EDIT_PHONE, {"next": target})
    assert f'value="{target}"' in page.content.decode()
    start_phone_change(patient_client, next=target)
    response = patient_client.post(CONFIRM_PHONE, {"code": code_sent_to(NEW_PHONE)})
    assert response.url == target


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "relative"]
)
def test_a_foreign_next_is_ignored(patient_client, target):
    start_phone_change(patient_client, next=target)
    response = patient_client.post(CONFIRM_PHONE, {"code": code_sent_to(NEW_PHONE)})
    assert response.url == reverse("patients:personal_data")


# --- e-mail -----------------------------------------------------------------------------


def test_a_new_email_is_confirmed_by_a_code_sent_to_it(patient_client, patient):
    old = patient.email
    response = patient_client.post(EDIT_EMAIL, {"email": "  new.address@EXAMPLE.com "})
    assert response.url == CONFIRM_EMAIL
    message = last_message(NEW_EMAIL)
    assert message.channel == Message.Channel.EMAIL
    assert reload(patient).email == old
    assert "n***@example.com" in patient_client.get(CONFIRM_EMAIL).content.decode()

    wrong = patient_client.post(CONFIRM_EMAIL, {"code": wrong_code(code_sent_to(NEW_EMAIL))})
    assert wrong.status_code == 400
    assert reload(patient).email == old

    done = patient_client.post(CONFIRM_EMAIL, {"code": code_sent_to(NEW_EMAIL)})
    assert done.url == reverse("patients:personal_data")
    assert reload(patient).email == NEW_EMAIL
    notice = last_message(old)
    assert notice.channel == Message.Channel.EMAIL
    assert "n***@example.com" in notice.body
    assert NEW_EMAIL not in notice.body
    event = AuditEvent.objects.get(action="cabinet.email_changed")
    assert event.details["new"] == "n***@example.com"
    assert event.details["old"] == f"{old[0]}***@example.org"
    assert Notification.objects.filter(patient=patient, event="contacts").count() == 1


def test_the_same_email_is_answered_with_a_message(patient_client, patient):
    response = patient_client.post(EDIT_EMAIL, {"email": patient.email.upper()})
    assert response.status_code == 400
    assert "Этот адрес уже указан в кабинете" in response.content.decode()


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "x" * 300 + "@example.org", "a\x00@b.ru"])
def test_a_bad_email_is_answered_next_to_the_field(patient_client, email):
    response = patient_client.post(EDIT_EMAIL, {"email": email})
    assert response.status_code == 400
    assert "field--error" in response.content.decode()
    assert not Message.objects.exists()


def test_email_resend_respects_the_interval(patient_client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    patient_client.post(EDIT_EMAIL, {"email": NEW_EMAIL})
    patient_client.post(RESEND_EMAIL)
    assert Message.objects.filter(recipient=NEW_EMAIL).count() == 1
    time_machine.shift(timedelta(seconds=61))
    patient_client.post(RESEND_EMAIL)
    assert Message.objects.filter(recipient=NEW_EMAIL).count() == 2


def test_a_patient_without_a_phone_adds_one_and_no_old_contact_is_told(make_patient, login_as):
    somebody = make_patient(phone_number="")
    assert somebody.phone == ""
    client = login_as(somebody)
    client.post(EDIT_PHONE, {"phone": NEW_PHONE})
    client.post(CONFIRM_PHONE, {"code": code_sent_to(NEW_PHONE)})
    assert reload(somebody).phone == NEW_PHONE
    # Only the notice of the change itself (to the new number and the e-mail).
    assert set(Message.objects.values_list("recipient", flat=True)) == {
        NEW_PHONE,
        somebody.email,
    }


# --- throttling -----------------------------------------------------------------------


def test_checking_codes_is_throttled_per_address(patient_client, patient, settings):
    settings.CODE_IP_RATE = "3/10m"
    start_phone_change(patient_client)
    code = code_sent_to(NEW_PHONE)
    for _ in range(3):
        patient_client.post(CONFIRM_PHONE, {"code": "000000"})
    response = patient_client.post(CONFIRM_PHONE, {"code": code})
    assert response.status_code == 429
    assert "Слишком много попыток" in response.content.decode()
    assert reload(patient).phone != NEW_PHONE


def test_sending_codes_is_throttled_per_address(patient_client, settings):
    settings.CODE_IP_RATE = "2/10m"
    patient_client.post(EDIT_PHONE, {"phone": NEW_PHONE})
    patient_client.post(RESEND_PHONE)
    response = patient_client.post(EDIT_EMAIL, {"email": NEW_EMAIL})
    assert response.status_code == 429
    assert "Слишком много попыток" in response.content.decode()
    assert not Message.objects.filter(recipient=NEW_EMAIL).exists()


def test_the_code_lifetime_is_stated_as_configured(patient_client, settings):
    settings.OTP_LIFETIME_SECONDS = 600
    patient_client.post(EDIT_EMAIL, {"email": NEW_EMAIL})
    assert "Срок действия кода — 10 минут." in last_message(NEW_EMAIL).body
    assert "Срок действия кода — 10 минут." in patient_client.get(CONFIRM_EMAIL).content.decode()


@pytest.mark.parametrize(("seconds", "words"), [(60, "1 минута"), (180, "3 минуты")])
def test_the_code_lifetime_is_a_word_in_the_right_form(patient_client, settings, seconds, words):
    # «5 минут» as at the IdP, never «5 мин.»; any number with its own form of the word.
    settings.OTP_LIFETIME_SECONDS = seconds
    patient_client.post(EDIT_EMAIL, {"email": NEW_EMAIL})
    page = patient_client.get(CONFIRM_EMAIL).content.decode()
    assert f"Срок действия кода — {words}." in page
    assert "мин." not in page
