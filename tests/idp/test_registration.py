"""Registration as a person (or an attacker) meets it through the browser: the form, the SMS
code step, the account that results, e-mail confirmation and hostile input."""

import datetime
import html
import re
from unittest import mock

import pytest
import time_machine
from django.test import Client

from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from egisz.idp.accounts.models import (
    Account,
    DemoRegistryRecord,
    EmailConfirmation,
    Level,
    PendingRegistration,
    RegistryCheck,
)
from egisz.idp.accounts.services import run_registry_checks
from egisz.idp.authn.models import AccountSession, KnownBrowser, LoginAttempt
from tests.conftest import BROWSER_UA

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
PHONE = "+79161234567"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def form(password):
    """A correctly filled form, typed the way people type."""
    return {
        "last_name": " Петрова ",
        "first_name": "Ольга",
        "middle_name": "Ивановна",
        "birth_date": "14.03.1985",
        "snils": "112-233-445 95",
        "inn": "5001 0073 2259",
        "passport": "45 09 123456",
        "phone": "8 (916) 123-45-67",
        "email": "Petrova@Example.RU",
        "password1": password,
        "password2": password,
        "agree": "on",
    }


def sms_to(phone: str) -> list[Message]:
    return list(Message.objects.filter(channel="sms", recipient=phone).order_by("id"))


def latest_code(phone: str = PHONE) -> str:
    return re.search(r"\b(\d{6})\b", sms_to(phone)[-1].body).group(1)


def page(response) -> str:
    return response.content.decode()


def field_error(response, field: str) -> str:
    """The error text shown next to ``field`` (between the error marker and the widget)."""
    text = page(response)
    marker = text.find(f'id="id_{field}_error"')
    if marker < 0:
        return ""
    rest = text[marker:]
    ends = [rest.find(tag) for tag in ("<input", "<select", "<textarea", "</div>\n</div>")]
    chunk = rest[: min([end for end in ends if end > 0], default=len(rest))]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", chunk.split(">", 1)[1])).split())


def summary_links(response) -> list[str]:
    return re.findall(r'<a href="#(id_\w+)">', page(response))


def start(client, form) -> None:
    response = client.post("/register/", form)
    assert response.status_code == 302, field_errors_of(response)
    assert response["Location"] == "/register/confirm/"


def field_errors_of(response) -> str:
    return " | ".join(re.findall(r'class="field__error"[^>]*>(.*?)</div>', page(response), re.S))


def confirm(client, code: str):
    return client.post("/register/confirm/", {"code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- The form -----------------------------------------------------------------------------


def test_form_has_every_field_with_a_label_and_links_the_agreement(client):
    response = client.get("/register/")
    assert response.status_code == 200
    text = page(response)
    for label in (
        "Фамилия",
        "Имя",
        "Отчество",
        "Дата рождения",
        "СНИЛС",
        "ИНН",
        "Серия и номер паспорта",
        "Мобильный телефон",
        "Электронная почта",
        "Пароль",
        "Повторите пароль",
        "пользовательское соглашение",
    ):
        assert label in text, label
    assert 'href="/terms/"' in text
    terms = client.get("/terms/")
    assert terms.status_code == 200
    assert "Согласие на обработку персональных данных" in page(terms)


def test_valid_form_sends_a_code_but_creates_no_account(client, form, password, clock):
    start(client, form)
    assert not Account.objects.exists()
    pending = PendingRegistration.objects.get()
    assert pending.phone == PHONE
    # The password is hashed at once and is nowhere in the clear.
    assert pending.password_hash.startswith("argon2")
    assert password not in str(pending.data) and password not in pending.password_hash
    assert pending.expires_at == START + datetime.timedelta(minutes=30)
    [sms] = sms_to(PHONE)
    assert "Код для регистрации" in sms.body and re.search(r"\b\d{6}\b", sms.body)
    confirm_page = client.get("/register/confirm/")
    assert "+7 916 ***-**-67" in page(confirm_page)
    # Nobody is logged in half-way.
    assert client.get("/").status_code == 302


def test_correct_code_creates_the_account_with_normalised_values(client, form, password, clock):
    start(client, form)
    response = confirm(client, latest_code())
    assert response.status_code == 302
    assert response["Location"] == "/"

    account = Account.objects.get()
    assert (account.last_name, account.first_name, account.middle_name) == (
        "Петрова",
        "Ольга",
        "Ивановна",
    )
    assert account.birth_date == datetime.date(1985, 3, 14)
    assert account.phone == PHONE
    assert account.snils == "11223344595"
    assert account.inn == "500100732259"
    assert account.passport == "4509123456"
    assert account.email == "Petrova@example.ru"
    assert account.email_confirmed is False
    assert account.level == Level.SIMPLIFIED
    assert account.must_change_password is False
    assert account.check_password(password)

    check = RegistryCheck.objects.get(account=account)
    assert check.status == RegistryCheck.Status.PENDING
    assert AuditEvent.objects.filter(action="account.registered", subject_id=str(account.pk))
    assert "учётная запись создана" in sms_to(PHONE)[-1].body
    assert Message.objects.filter(channel="email", recipient="Petrova@example.ru").exists()
    assert not PendingRegistration.objects.exists()

    # The phone has just been proven: the new citizen is logged in (see below).
    home = client.get(response["Location"])
    assert home.status_code == 200
    assert "Учётная запись создана, вы вошли в неё." in page(home)


def test_optional_fields_may_stay_empty(client, form, clock):
    form.update(middle_name="", inn="", email="")
    start(client, form)
    confirm(client, latest_code())
    account = Account.objects.get()
    assert (account.middle_name, account.inn, account.email) == ("", "", None)
    assert not Message.objects.filter(channel="email").exists()


def test_error_is_shown_next_to_the_field_and_in_the_summary(client, form):
    form["snils"] = "112-233-445 96"
    response = client.post("/register/", form)
    assert response.status_code == 400
    assert "не сходится контрольное число" in field_error(response, "snils")
    assert summary_links(response) == ["id_snils"]
    assert 'class="error-summary"' in page(response)
    # What was typed stays in the form (except passwords).
    assert re.search(r'value="\s*Петрова\s*"', page(response))
    assert form["password1"] not in page(response)
    assert not PendingRegistration.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("last_name", "Укажите фамилию"),
        ("first_name", "Укажите имя"),
        ("birth_date", "Укажите дату рождения"),
        ("snils", "Укажите СНИЛС"),
        ("passport", "Укажите серию и номер паспорта"),
        ("phone", "Укажите номер мобильного телефона"),
        ("password1", "Придумайте пароль"),
        ("agree", "примите пользовательское соглашение"),
    ],
)
def test_required_fields(client, form, field, message):
    form.pop(field)
    response = client.post("/register/", form)
    assert response.status_code == 400
    assert message in field_error(response, field)
    assert f"id_{field}" in summary_links(response)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("birth_date", "31.02.1985", "дд.мм.гггг"),
        ("birth_date", "14.03.2099", "в прошлом"),
        ("birth_date", "01.01.2020", "с 14 лет"),
        ("birth_date", "01.01.1890", "год рождения"),
        ("inn", "500100732250", "контрольные цифры"),
        ("passport", "4509 12345", "4 цифры"),
        ("phone", "+7 495 123-45-67", "не номер мобильного"),
        ("phone", "+44 7911 123456", "российского"),
        ("email", "petrova@", "адрес электронной почты"),
        ("first_name", "Ольга2", "только буквы"),
    ],
)
def test_invalid_values_are_explained(client, form, field, typed, message):
    form[field] = typed
    response = client.post("/register/", form)
    assert response.status_code == 400
    assert message in field_error(response, field)


def test_birth_date_from_a_date_picker_is_accepted(client, form, clock):
    form["birth_date"] = "1985-03-14"
    start(client, form)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "слишком короткий"),
        ("password123", "заглавную букву"),
        ("Password1!", "широко распространён"),
        ("Петрова#2026x", "имя или фамилию"),
        ("Qw!14031985zz", "дату рождения"),
        ("Zx!11223344595", "номера документов"),
    ],
)
def test_password_policy_with_the_persons_own_data(client, form, password, message):
    form.update(password1=password, password2=password)
    response = client.post("/register/", form)
    assert response.status_code == 400
    assert message in field_error(response, "password1").lower()


def test_passwords_must_match(client, form):
    form["password2"] = form["password1"] + "x"
    response = client.post("/register/", form)
    assert "Пароли не совпадают" in field_error(response, "password2")


# --- The code step ----------------------------------------------------------------------


def test_wrong_code_says_how_many_tries_are_left(client, form, clock):
    start(client, form)
    response = confirm(client, wrong(latest_code()))
    assert response.status_code == 400
    assert "Неверный код. Осталось 2 попытки." in field_error(response, "code")
    assert not Account.objects.exists()


def test_malformed_code_is_refused_without_using_a_try(client, form, clock):
    start(client, form)
    response = confirm(client, "12ab")
    assert "6 цифр" in field_error(response, "code")
    response = confirm(client, wrong(latest_code()))
    assert "Осталось 2 попытки" in field_error(response, "code")


def test_three_wrong_tries_burn_the_code(client, form, clock):
    start(client, form)
    code = latest_code()
    for _ in range(2):
        confirm(client, wrong(code))
    response = confirm(client, wrong(code))
    assert "слишком много раз" in field_error(response, "code")
    response = confirm(client, code)
    assert response.status_code == 400
    assert "Запросите новый код" in field_error(response, "code")
    assert not Account.objects.exists()


def test_code_expires_after_five_minutes(client, form, clock):
    start(client, form)
    code = latest_code()
    clock.shift(datetime.timedelta(minutes=5, seconds=1))
    response = confirm(client, code)
    assert "Срок действия кода истёк" in field_error(response, "code")
    assert not Account.objects.exists()


def test_code_just_before_five_minutes_still_works(client, form, clock):
    start(client, form)
    code = latest_code()
    clock.shift(datetime.timedelta(minutes=4, seconds=59))
    assert confirm(client, code).status_code == 302
    assert Account.objects.count() == 1


def test_resend_not_before_60_seconds(client, form, clock):
    start(client, form)
    first = latest_code()
    clock.shift(datetime.timedelta(seconds=30))
    response = client.post("/register/confirm/resend/", follow=True)
    assert "Новый код можно запросить через 31 с." in page(response)
    assert len(sms_to(PHONE)) == 1

    clock.shift(datetime.timedelta(seconds=31))
    response = client.post("/register/confirm/resend/", follow=True)
    assert "Мы отправили новый код" in page(response)
    assert len(sms_to(PHONE)) == 2
    second = latest_code()
    if second != first:
        # The newer code replaces the older one.
        assert confirm(client, first).status_code == 400
    assert confirm(client, second).status_code == 302


def resend_past_the_interval(client, clock, times: int = 1):
    """Ask for a new code ``times`` times, each past the 60 s interval; the last answer."""
    for _ in range(times):
        clock.shift(datetime.timedelta(seconds=61))
        response = client.post("/register/confirm/resend/", follow=True)
    return response


def test_at_most_five_codes_per_phone_per_hour(client, form, clock):
    start(client, form)
    resend_past_the_interval(client, clock, 4)
    assert len(sms_to(PHONE)) == 5
    response = resend_past_the_interval(client, clock)
    assert len(sms_to(PHONE)) == 5
    # 305 s after the first code: the next one is possible in 3600 - 305 s, about 55 min.
    assert "Новый код можно запросить через 55 мин." in page(response)
    # Starting the form over does not get round the limit either.
    client.post("/register/", form)
    assert len(sms_to(PHONE)) == 5
    # An hour after the first code (the half-hour registration has lapsed by then).
    clock.shift(datetime.timedelta(minutes=55))
    start(client, form)
    assert len(sms_to(PHONE)) == 6


def test_one_number_gets_at_most_its_daily_budget_of_codes(client, form, clock, settings):
    """Registration texts whatever number is typed: past the number's daily budget no SMS
    goes to it, and the person is told why and for how long."""
    settings.SMS_BUDGET_PER_NUMBER = "3/d"
    start(client, form)
    resend_past_the_interval(client, clock, 2)
    assert len(sms_to(PHONE)) == 3
    response = resend_past_the_interval(client, clock)
    assert len(sms_to(PHONE)) == 3
    # 09:03 UTC: the day's budget returns at midnight UTC, in 15 hours.
    assert "Слишком много запросов кода на этот номер. Попробуйте снова через 15 ч." in page(
        response
    )
    # From another address, with the form started over: still nothing.
    other = Client(HTTP_USER_AGENT=BROWSER_UA, REMOTE_ADDR="198.51.100.20")
    response = other.post("/register/", form, follow=True)
    assert "Слишком много запросов кода на этот номер" in page(response)
    assert len(sms_to(PHONE)) == 3


def test_a_range_of_numbers_gets_at_most_its_hourly_budget(form, clock, settings):
    """Pumping walks a range of premium numbers from many addresses: the first 7 digits of
    the number share one hourly budget, whatever the client address."""
    settings.SMS_BUDGET_PER_PREFIX = "3/h"
    for n in range(5):
        browser = Client(HTTP_USER_AGENT=BROWSER_UA, REMOTE_ADDR=f"198.51.100.{n + 1}")
        response = browser.post("/register/", {**form, "phone": f"+7 916 123-00-0{n}"}, follow=True)
        assert response.status_code == 200
    sent = Message.objects.filter(channel="sms", recipient__startswith="+7916123")
    assert sent.count() == 3
    assert "Слишком много запросов кода. Попробуйте снова через 60 мин." in page(response)
    browser.post("/register/", {**form, "phone": "+7 916 124-00-00"})
    assert len(sms_to("+79161240000")) == 1  # the next range is another budget
    clock.shift(datetime.timedelta(hours=1))
    browser.post("/register/", {**form, "phone": "+7 916 123-00-09"})
    assert len(sms_to("+79161230009")) == 1


def test_the_hourly_ceiling_of_registration_sms_alerts_the_operator_once(form, clock, settings):
    settings.SMS_BUDGET_GLOBAL = "2/h"
    for n, phone in enumerate(["+79031110000", "+79261110000", "+79851110000", "+79991110000"]):
        browser = Client(HTTP_USER_AGENT=BROWSER_UA, REMOTE_ADDR=f"198.51.100.{n + 1}")
        browser.post("/register/", {**form, "phone": phone})
    assert Message.objects.filter(channel="sms").count() == 2
    alerts = AuditEvent.objects.filter(action="alert.sms_ceiling_reached")
    assert alerts.count() == 1
    assert alerts.get().details["limit"] == 2


def test_pending_registration_expires_after_30_minutes(client, form, clock):
    start(client, form)
    clock.shift(datetime.timedelta(minutes=31))
    response = client.get("/register/confirm/", follow=True)
    assert response.redirect_chain[-1][0] == "/register/"
    assert "Время на регистрацию истекло" in page(response)


def test_a_used_code_cannot_be_replayed(client, form, clock):
    start(client, form)
    code = latest_code()
    confirm(client, code)
    response = confirm(client, code)
    assert response.status_code == 302 and response["Location"] == "/register/"
    assert Account.objects.count() == 1


def test_change_data_brings_back_the_form_without_the_password(client, form, clock):
    start(client, form)
    response = client.get("/register/")
    text = page(response)
    assert 'value="Петрова"' in text and 'value="11223344595"' in text
    assert 'value="14.03.1985"' in text
    assert form["password1"] not in text


def test_phone_of_an_existing_account_is_not_revealed(client, form, make_account, clock):
    """Decision: a stranger sees exactly what a new person sees (the code page, the same
    wrong-code messages); the number's owner gets an SMS saying someone tried, without a
    code, so the registration can never complete."""
    owner = make_account(phone=PHONE)
    response = client.post("/register/", form)
    assert response.status_code == 302 and response["Location"] == "/register/confirm/"
    [sms] = sms_to(PHONE)
    assert "кто-то начал регистрацию" in sms.body
    assert not re.search(r"\d{6}", sms.body)
    response = confirm(client, "123456")
    assert "Неверный код. Осталось 2 попытки." in field_error(response, "code")
    assert Account.objects.count() == 1
    assert AuditEvent.objects.filter(
        action="registration.phone_in_use", subject_id=str(owner.pk)
    ).exists()


def test_same_page_for_a_new_and_a_registered_phone(client, form, make_account, clock):
    make_account(phone="+79161112233")
    pages = []
    for phone in ("+79161112233", "+79163334455"):
        form.update(phone=phone, email="")
        visitor = Client(HTTP_USER_AGENT=BROWSER_UA)
        visitor.post("/register/", form)
        text = page(visitor.get("/register/confirm/"))
        pages.append(re.sub(r"\*\*-\d\d|csrfmiddlewaretoken\" value=\"[^\"]+", "", text))
        clock.shift(datetime.timedelta(seconds=1))
    assert pages[0] == pages[1]


# --- Hostile input ----------------------------------------------------------------------


def test_ten_megabyte_field_gets_a_4xx_and_no_registration(client, form):
    form["last_name"] = "А" * (10 * 1024 * 1024)
    response = client.post("/register/", form)
    assert 400 <= response.status_code < 500
    assert not PendingRegistration.objects.exists() and not Message.objects.exists()


def test_too_long_value_is_a_form_error(client, form):
    form["last_name"] = "А" * 61
    response = client.post("/register/", form)
    assert response.status_code == 400
    assert "не больше 60 символов" in field_error(response, "last_name")


def test_control_characters_are_refused(client, form):
    form.update(first_name="Ол\x07га", snils="112\x00233 445 95")
    response = client.post("/register/", form)
    assert response.status_code == 400
    assert field_error(response, "first_name") and field_error(response, "snils")


def test_markup_in_a_name_is_refused_and_never_echoed_unescaped(client, form):
    form["last_name"] = "<script>alert(1)</script>"
    form["middle_name"] = "'; DROP TABLE accounts_account; --"
    response = client.post("/register/", form)
    assert response.status_code == 400
    assert "только буквы" in field_error(response, "last_name")
    assert "только буквы" in field_error(response, "middle_name")
    assert "<script>alert(1)" not in page(response)
    assert "&lt;script&gt;alert(1)" in page(response)
    assert Account.objects.count() == 0


def test_wrong_types_are_form_errors(client, form):
    form.update(agree="maybe", birth_date=["14.03.1985", "01.01.1990"], code="x")
    response = client.post("/register/", form)
    assert response.status_code in (302, 400)
    response = client.post("/register/confirm/", {"code": ["1", "2"]})
    assert response.status_code in (302, 400)
    assert not Account.objects.exists()


def test_missing_csrf_token_is_refused():
    strict = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER_UA)
    response = strict.post("/register/", {"last_name": "Петрова"})
    assert response.status_code == 403
    assert not PendingRegistration.objects.exists()


def test_no_partial_account_when_a_step_fails(client, form, clock):
    start(client, form)
    code = latest_code()
    client.raise_request_exception = False
    with mock.patch(
        "egisz.idp.accounts.services.queue_registry_check", side_effect=RuntimeError("db gone")
    ):
        response = confirm(client, code)
    assert response.status_code == 500
    assert not Account.objects.exists()
    assert not AuditEvent.objects.filter(action="account.registered").exists()
    assert len(sms_to(PHONE)) == 1  # no welcome SMS
    assert not Message.objects.filter(channel="email").exists()
    # Everything rolled back, the use of the code included: it still works.
    assert confirm(client, code).status_code == 302
    assert Account.objects.count() == 1


def test_a_lost_race_for_the_phone_leaves_a_clear_message(client, form, make_account, clock):
    start(client, form)
    # An operator created an account with this number while the code was on its way.
    make_account(phone=PHONE)
    response = confirm(client, latest_code())
    assert response.status_code == 302 and response["Location"] == "/register/"
    assert "с этим номером телефона уже есть" in page(client.get("/register/"))
    assert Account.objects.count() == 1


def test_registration_attempts_are_throttled_per_ip(client, form, settings):
    settings.REGISTER_IP_RATE = "3/m"
    form["snils"] = "1"
    statuses = [client.post("/register/", form).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


# --- E-mail confirmation ------------------------------------------------------------------


def email_link(to: str = "Petrova@example.ru") -> str:
    message = Message.objects.filter(channel="email", recipient=to).order_by("-id").first()
    return re.search(r"http://testserver(/email/confirm/[\w-]+/)", message.body).group(1)


def register(client, form) -> Account:
    """Register (which ends logged in), then log out: the e-mail is read later, elsewhere."""
    start(client, form)
    confirm(client, latest_code())
    client.post("/logout/")
    return Account.objects.get()


def test_email_link_confirms_the_address(client, form, clock):
    account = register(client, form)
    link = email_link()
    landing = client.get(link)
    assert landing.status_code == 200
    assert "Petrova@example.ru" in page(landing)
    account.refresh_from_db()
    assert account.email_confirmed is False  # opening the link alone changes nothing
    response = client.post(link)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.email_confirmed is True
    assert AuditEvent.objects.filter(action="email.confirmed", subject_id=str(account.pk))
    # A link works once.
    assert client.post(link).status_code == 400


def test_wrong_or_expired_email_link_does_not_confirm(client, form, clock):
    account = register(client, form)
    assert client.get("/email/confirm/not-a-real-token/").status_code == 404
    assert client.post("/email/confirm/not-a-real-token/").status_code == 400
    assert client.post("/email/confirm/" + "x" * 500 + "/").status_code == 400
    link = email_link()
    clock.shift(datetime.timedelta(hours=24, seconds=1))
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 400
    account.refresh_from_db()
    assert account.email_confirmed is False


def test_confirm_email_again_from_the_account_page(client, form, clock):
    account = register(client, form)
    old_link = email_link()
    client.force_login(account)
    home = client.get("/")
    assert "не подтверждена" in page(home) and "Подтвердить почту" in page(home)

    response = client.post("/account/email/send/", follow=True)
    assert "Новое можно запросить через" in page(response)  # the first mail is a second old
    clock.shift(datetime.timedelta(seconds=61))
    response = client.post("/account/email/send/", follow=True)
    assert "Мы отправили письмо со ссылкой" in page(response)
    new_link = email_link()
    assert new_link != old_link
    # The older link stopped working when the new one was sent.
    assert client.post(old_link).status_code == 400
    assert client.post(new_link).status_code == 302
    account.refresh_from_db()
    assert account.email_confirmed is True
    assert "Подтвердить почту" not in page(client.get("/"))
    assert EmailConfirmation.objects.filter(account=account).count() == 2


def test_email_link_for_an_address_changed_since_does_not_confirm(client, form, clock):
    account = register(client, form)
    link = email_link()
    Account.objects.filter(pk=account.pk).update(email="other@example.ru")
    assert client.post(link).status_code == 400
    account.refresh_from_db()
    assert account.email_confirmed is False


# --- The account page -------------------------------------------------------------------


def test_account_page_shows_the_data_level_and_check(client, form, clock):
    account = register(client, form)
    client.force_login(account)
    response = client.get("/")
    assert response.status_code == 200
    text = page(response)
    assert "Петрова Ольга Ивановна" in text
    assert "14.03.1985" in text
    assert "112-233-445 95" in text
    assert "**** **3456" in text and "4509123456" not in text and "4509 123456" not in text
    assert "+7 916 123-45-67" in text
    assert "Ваша учётная запись — упрощённая." in text
    assert "проверяется" in text
    assert "центр обслуживания" in text  # how to go further is explained


def test_account_page_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_other_methods_are_refused(client):
    assert client.put("/register/").status_code == 405
    assert client.get("/register/confirm/resend/").status_code == 405
    assert client.delete("/email/confirm/abc/").status_code == 405


def test_an_empty_code_submission_says_what_is_missing(client, form, clock):
    start(client, form)
    response = client.post("/register/confirm/", {})
    assert response.status_code == 400
    assert "Введите код из SMS" in field_error(response, "code")


# --- Registration ends logged in ------------------------------------------------------------


def test_registration_ends_logged_in_like_a_login(client, form, clock):
    start(client, form)
    key_before = client.session.session_key
    response = confirm(client, latest_code())
    account = Account.objects.get()
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(account.pk)
    assert client.session.session_key != key_before  # a new key for the logged-in session
    assert client.get("/settings/sessions/").status_code == 200

    # The journal, the session list and the audit say how: registration, by the SMS code.
    [attempt] = LoginAttempt.objects.filter(account=account)
    assert (attempt.result, attempt.method) == ("success", "reg+sms")
    journal = page(client.get("/settings/journal/"))
    assert "регистрация с кодом из SMS" in journal
    session = AccountSession.objects.get(account=account)
    assert session.method == "reg+sms" and session.session_key == client.session.session_key
    [event] = AuditEvent.objects.filter(action="login.success", subject_id=str(account.pk))
    assert event.details == {"method": "reg+sms"}
    assert client.session["egisz_auth"]["amr"] == ["sms"]

    # This browser is now known: logging in again from it later tells nobody anything.
    assert KnownBrowser.objects.filter(account=account).count() == 1
    client.post("/logout/")
    clock.shift(datetime.timedelta(minutes=2))
    client.post("/login/", {"identifier": PHONE, "password": form["password1"]})
    client.post("/login/code/", {"code": latest_code()})
    assert client.session["_auth_user_id"] == str(account.pk)
    assert not Message.objects.filter(body__contains="нового устройства").exists()


def test_registration_started_from_a_service_continues_there(client, form, clock):
    authorize = "/oidc/authorize/?client_id=egisz-cabinet&response_type=code&scope=openid"
    login_page = page(client.get("/login/", {"next": authorize}))
    # The login page's «Зарегистрироваться» keeps where the person was going.
    link = re.search(r'href="(/register/\?next=[^"]+)"', login_page).group(1)
    register_page = page(client.get(html.unescape(link)))
    assert f'name="next" value="{html.escape(authorize)}"' in register_page
    start(client, {**form, "next": authorize})
    response = confirm(client, latest_code())
    assert response.status_code == 302 and response["Location"] == authorize


def test_registration_never_sends_anywhere_but_this_site(client, form, clock):
    start(client, {**form, "next": "https://evil.example/steal"})
    response = confirm(client, latest_code())
    assert response["Location"] == "/"


# --- Squatting and enumeration: СНИЛС and e-mail ----------------------------------------------


def visible(response) -> str:
    """A page as anyone sees it, without what differs per visitor anyway (tokens, the
    masked phone)."""
    text = re.sub(r'csrfmiddlewaretoken" value="[^"]+', "", page(response))
    return re.sub(r"\*\*-\d\d", "", text)


def walk_registration(form, phone: str) -> list[str]:
    """Every step a stranger registering with ``form`` sees, in a browser of their own."""
    visitor = Client(HTTP_USER_AGENT=BROWSER_UA)
    seen = []
    response = visitor.post("/register/", {**form, "phone": phone})
    seen.append(f"{response.status_code} {response.get('Location')}")
    seen.append(visible(visitor.get("/register/confirm/")))
    response = confirm(visitor, "000000" if latest_code(phone) != "000000" else "000001")
    seen.append(visible(response))
    response = confirm(visitor, latest_code(phone))
    seen.append(f"{response.status_code} {response.get('Location')}")
    home = visitor.get("/")
    seen.append(re.findall(r'class="notice[^"]*"[^>]*>(.*?)</', page(home), re.S))
    return seen


def test_no_step_says_whether_the_snils_or_email_is_someone_elses(form, make_account, clock):
    make_account(
        snils="11223344595",
        email="petrova@example.ru",
        email_confirmed=True,
        phone="+79160000099",
        level=Level.STANDARD,
    )
    taken = walk_registration(form, "+79161112233")
    clock.shift(datetime.timedelta(seconds=1))
    free = walk_registration(
        {**form, "snils": "123-456-004 22", "email": "free@example.ru"}, "+79163334455"
    )
    assert taken == free
    assert taken[3] == "302 /"  # both end registered and logged in
    # The mailbox's owner, and only they, hear of it: a notice instead of a link.
    [notice] = Message.objects.filter(channel="email", recipient="Petrova@example.ru")
    assert "уже подтверждён в вашей учётной записи" in notice.body
    assert "/email/confirm/" not in notice.body
    assert Account.objects.get(phone="+79160000099").email_confirmed


def person_in_registry(form) -> None:
    DemoRegistryRecord.objects.create(
        snils="11223344595",
        passport="4509123456",
        last_name="Петрова",
        first_name="Ольга",
        middle_name="Ивановна",
        birth_date=datetime.date(1985, 3, 14),
    )


def test_a_squatter_never_keeps_the_owner_of_a_snils_and_email_out(form, clock):
    """Someone with a phone of their own registers with Petrova's СНИЛС and e-mail (their
    registry check fails: the passport is not hers). Petrova registers after them, ends
    logged in, confirms her e-mail, passes the registry check, and her СНИЛС and e-mail
    then log in to her account only."""
    person_in_registry(form)
    squatter = Client(HTTP_USER_AGENT=BROWSER_UA)
    squatter.post("/register/", {**form, "phone": "+79165550001", "passport": "4509 999999"})
    confirm(squatter, latest_code("+79165550001"))
    run_registry_checks()
    squatters = Account.objects.get(phone="+79165550001")
    assert RegistryCheck.objects.get(account=squatters).status == RegistryCheck.Status.REJECTED
    clock.shift(datetime.timedelta(minutes=2))

    owner = Client(HTTP_USER_AGENT=BROWSER_UA)
    start(owner, form)
    response = confirm(owner, latest_code())
    assert response.status_code == 302 and response["Location"] == "/"
    petrova = Account.objects.get(phone=PHONE)
    assert petrova.snils == squatters.snils == "11223344595"

    # The mailbox has links for both; the squatter's stops working once hers is used.
    links = [
        re.search(r"http://testserver(/email/confirm/[\w-]+/)", m.body).group(1)
        for m in Message.objects.filter(channel="email").order_by("id")
    ]
    assert owner.post(links[1]).status_code == 302
    assert owner.post(links[0]).status_code == 400
    run_registry_checks()
    petrova.refresh_from_db()
    squatters.refresh_from_db()
    assert (petrova.level, petrova.email_confirmed) == (Level.STANDARD, True)
    assert (squatters.level, squatters.email_confirmed) == (Level.SIMPLIFIED, False)

    for identifier in ("112-233-445 95", "petrova@example.ru"):
        visitor = Client(HTTP_USER_AGENT=BROWSER_UA)
        response = visitor.post(
            "/login/", {"identifier": identifier, "password": form["password1"]}
        )
        assert response.status_code == 302, identifier
        assert visitor.session["egisz_login_plan"]["account_id"] == petrova.pk


def test_a_snils_already_checked_is_named_only_to_someone_the_registry_recognised(
    form, make_account, clock, settings
):
    """A СНИЛС another account holds as checked: a stranger with a wrong passport hears
    only that the data did not match; the person the registry recognises hears that an
    account exists, what to do and whom to call."""
    person_in_registry(form)
    make_account(snils="11223344595", phone="+79160000099", level=Level.STANDARD)
    for phone, passport in (("+79165550002", "4509 999999"), (PHONE, "4509 123456")):
        visitor = Client(HTTP_USER_AGENT=BROWSER_UA)
        visitor.post("/register/", {**form, "phone": phone, "passport": passport, "email": ""})
        assert confirm(visitor, latest_code(phone))["Location"] == "/"
        clock.shift(datetime.timedelta(seconds=1))
    run_registry_checks()
    stranger = sms_to("+79165550002")[-1].body
    assert "паспорта" in stranger and "другой учётной записи" not in stranger
    recognised = sms_to(PHONE)[-1].body
    assert "уже подтверждён в другой учётной записи" in recognised
    assert "восстановите пароль" in recognised and settings.SUPPORT_CONTACT in recognised
    assert Account.objects.get(phone=PHONE).level == Level.SIMPLIFIED
