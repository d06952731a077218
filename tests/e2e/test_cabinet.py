"""The ЕГИСЗ cabinet in a real browser, logged in through the real IdP.

Both sites run as gunicorn servers with their workers (tests/e2e/conftest.py); the cabinet is
registered at the IdP as a confidential client. Codes are read from each site's demo outbox,
as a person reads them on their phone.
"""

import io
import re
import time
from dataclasses import dataclass

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.people import log_in, read_sms_code, snils_for, typed_phone

pytestmark = pytest.mark.e2e

PASSWORD = "Oblako#Rassvet2024"
AGREE = "Я согласен на передачу моих данных сервису"
PHONE_WIDTH = 375


@dataclass
class Citizen:
    phone: str
    password: str
    last_name: str
    first_name: str


@pytest.fixture
def confirmed_citizen(idp, unique_phone) -> Citizen:
    """A confirmed account at the IdP with СНИЛС and e-mail but no ИНН (the cabinet's profile
    asks for it)."""
    serial = int(unique_phone[-4:])
    snils = re.sub(r"\D", "", snils_for(serial))
    idp.shell(
        "import datetime\n"
        "from egisz.idp.accounts.models import Account\n"
        f"Account.objects.create_user(phone={unique_phone!r}, password={PASSWORD!r}, "
        "last_name='Лебедева', first_name='Ксения', middle_name='Андреевна', "
        f"birth_date=datetime.date(1979, 11, 2), snils={snils!r}, "
        f"email='kseniya.{serial}@example.org', email_confirmed=True, level='confirmed')\n"
    )
    return Citizen(unique_phone, PASSWORD, "Лебедева", "Ксения")


def scan_png(text: str) -> dict:
    """A small picture standing in for a scanned page."""
    image = Image.new("RGB", (320, 200), "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"name": f"{text}.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def log_in_through_idp(page: Page, citizen: Citizen) -> None:
    """From the cabinet's «Войти через Госуслуги» to the IdP: password, SMS code."""
    page.get_by_role("link", name="Войти через Госуслуги").first.click()
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Телефон, почта или СНИЛС").fill(citizen.phone)
    page.get_by_label("Пароль", exact=True).fill(citizen.password)
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.get_by_text("Мы отправили SMS с кодом на номер")).to_be_visible()
    code = read_sms_code(page.context, citizen.phone, "Код для входа")
    page.get_by_label("Код подтверждения").fill(code)
    page.get_by_role("button", name="Подтвердить", exact=True).click()


def expect_cabinet_session_ended(page: Page, cabinet, citizen: Citizen) -> None:
    """The IdP's logout token reaches the cabinet through its worker within moments: the
    first cabinet page after it ends the session and says why."""
    deadline = time.monotonic() + 20
    while True:
        page.goto(f"{cabinet.url}/personal/")
        if page.url == f"{cabinet.url}/" or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    expect(page).to_have_url(f"{cabinet.url}/")
    expect(page.get_by_text("Госуслуги сообщили, что ваш сеанс там завершён")).to_be_visible()
    expect(page.get_by_role("link", name="Войти через Госуслуги").first).to_be_visible()
    expect(page.get_by_text(citizen.last_name)).to_have_count(0)


# The elements sticking out on the right, to name them when the check fails.
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .slice(0, 5)
    .map(el => `${el.tagName.toLowerCase()}.${el.className} ${el.textContent.trim().slice(0, 40)}`);
}"""


def expect_no_sideways_scrolling(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = page.evaluate(WIDER_THAN_SCREEN)
    assert overflow <= 0, f"the page is {overflow}px wider than a phone screen: {wide}"


def test_first_login_profile_phone_change_and_home(idp, cabinet, page, confirmed_citizen):
    citizen = confirmed_citizen
    page.goto(f"{cabinet.url}/")
    log_in_through_idp(page, citizen)

    # The consent screen names the cabinet and what it asks for, in plain words.
    expect(page.get_by_text("ЕГИСЗ").first).to_be_visible()
    for line in ("Фамилия, имя и отчество", "Дата рождения", "СНИЛС", "Мобильный телефон"):
        expect(page.get_by_text(line, exact=True)).to_be_visible()
    page.get_by_label(AGREE).check()
    page.get_by_role("button", name="Подтвердить", exact=True).click()

    # The first login opens the profile: what came from Госуслуги, and what is missing.
    expect(page).to_have_url(f"{cabinet.url}/profile/")
    expect(page.get_by_text("Лебедева Ксения Андреевна").first).to_be_visible()
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Укажите ИНН.").first).to_be_visible()
    expect(page.get_by_text("Загрузите скан паспорта.").first).to_be_visible()

    page.get_by_label("ИНН").fill("500100732259")
    page.get_by_label("Место работы или учёбы").fill("ГБОУ «Школа № 1234», учитель")
    page.get_by_label("Скан паспорта").set_input_files(scan_png("passport"))
    page.get_by_label("Скан СНИЛС").set_input_files(scan_png("snils"))
    page.get_by_role("button", name="Сохранить").click()
    expect(page).to_have_url(f"{cabinet.url}/")
    expect(page.get_by_text("Профиль заполнен").first).to_be_visible()

    # «Личные данные»: a new phone takes effect only with the code sent to it.
    page.get_by_role("navigation", name="Разделы кабинета").get_by_role(
        "link", name="Личные данные"
    ).click()
    expect(page.get_by_role("heading", name="Личные данные")).to_be_visible()
    page.get_by_role("link", name="Редактировать мобильный телефон").click()
    new_phone = citizen.phone[:-4] + f"{(int(citizen.phone[-4:]) + 5000) % 10000:04d}"
    page.get_by_label("Новый номер мобильного телефона").fill(typed_phone(new_phone))
    page.get_by_role("button", name="Получить код").click()
    code = read_sms_code(
        page.context, new_phone, "смены номера телефона", f"{cabinet.url}/dev/outbox"
    )
    page.get_by_label("Код подтверждения").fill(code)
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    formatted = typed_phone(new_phone)[2:]  # "(916) 555-…" appears in the shown number
    expect(page.get_by_text(re.compile(re.escape(formatted[-9:])))).to_be_visible()

    # The old number was told; «Главная» shows the notice, unread first.
    page.get_by_role("navigation", name="Разделы кабинета").get_by_role(
        "link", name="Главная"
    ).click()
    expect(page.get_by_text("Номер телефона изменён").first).to_be_visible()
    outbox = page.context.new_page()
    outbox.goto(f"{cabinet.url}/dev/outbox")
    expect(
        outbox.get_by_role("row").filter(has_text=citizen.phone).filter(has_text="изменён")
    ).not_to_have_count(0)
    outbox.close()

    # The same pages on a phone-sized screen: the menu stays reachable, nothing overflows.
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    for path in ("/", "/personal/"):
        page.goto(f"{cabinet.url}{path}")
        expect(page.get_by_role("navigation", name="Разделы кабинета")).to_be_visible()
        expect_no_sideways_scrolling(page)


def test_refused_consent_opens_the_limited_mode(idp, cabinet, page, confirmed_citizen):
    page.goto(f"{cabinet.url}/")
    log_in_through_idp(page, confirmed_citizen)
    page.get_by_role("button", name="Отказаться", exact=True).click()

    expect(page).to_have_url(f"{cabinet.url}/")
    expect(page.get_by_text("Вы не дали согласие на передачу данных из Госуслуг")).to_be_visible()
    menu = page.get_by_role("navigation", name="Разделы кабинета")
    expect(menu.get_by_role("link", name="Личные данные")).to_have_count(0)
    menu.get_by_role("link", name="Медицинские организации").click()
    expect(page.get_by_role("heading", name=re.compile("Медицинские организации"))).to_be_visible()
    expect(page.get_by_text(confirmed_citizen.last_name)).to_have_count(0)

    # Consent can be given later from the same page.
    menu.get_by_role("link", name="Главная").click()
    page.get_by_role("button", name="Дать согласие на передачу данных").click()
    page.get_by_label(AGREE).check()
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(page).to_have_url(f"{cabinet.url}/profile/")


EXPIRE_SESSION = """
from datetime import timedelta
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from egisz.cabinet.sso.session import IDLE_KEY
store = import_string(settings.SESSION_ENGINE + ".SessionStore")(session_key={key!r})
idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES + 1)
store[IDLE_KEY] = (timezone.now() - idle).isoformat()
store.save()
"""

COMPLETE_PROFILES = """
from django.utils import timezone
from egisz.cabinet.patients.models import Patient
Patient.objects.filter(profile_completed_at__isnull=True).update(profile_completed_at=timezone.now())
"""


def test_an_expired_session_returns_to_the_same_page_after_logging_in(
    idp, cabinet, page, confirmed_citizen
):
    page.goto(f"{cabinet.url}/")
    log_in_through_idp(page, confirmed_citizen)
    page.get_by_label(AGREE).check()
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(page).to_have_url(f"{cabinet.url}/profile/")
    cabinet.shell(COMPLETE_PROFILES)

    page.goto(f"{cabinet.url}/personal/activity/")
    expect(page.get_by_role("heading", name="Журнал активности")).to_be_visible()
    # The idle time passes on the server's clock: the session is made older there.
    cookie = next(
        c for c in page.context.cookies(cabinet.url) if c["name"] == "egisz_cabinet_session"
    )
    cabinet.shell(EXPIRE_SESSION.format(key=cookie["value"]))

    page.reload()
    expect(page.get_by_role("heading", name="Сессия истекла")).to_be_visible()
    page.get_by_role("link", name="Войти снова").click()
    # Still logged in at the IdP and consent given: straight back to the same page.
    expect(page).to_have_url(f"{cabinet.url}/personal/activity/")
    expect(page.get_by_role("heading", name="Журнал активности")).to_be_visible()

    # «Выйти» ends the cabinet session and the IdP's (RP-initiated logout) and comes back.
    # The cabinet names the session by logout_hint, not by the ID token: an IdP that cannot
    # tell the session from the hint asks the citizen to confirm first.
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url(lambda url: url.startswith(idp.url) or url == f"{cabinet.url}/")
    assert "id_token_hint" not in page.url
    if page.url.startswith(idp.url):
        expect(page.get_by_role("heading", name="Выйти из учётной записи?")).to_be_visible()
        page.get_by_role("button", name="Выйти", exact=True).last.click()
    expect(page).to_have_url(f"{cabinet.url}/")
    expect(page.get_by_role("link", name="Войти через Госуслуги").first).to_be_visible()
    page.goto(f"{idp.url}/settings/sessions/")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_consent_withdrawn_at_the_idp_ends_the_cabinet_session(
    idp, cabinet, page, confirmed_citizen
):
    page.goto(f"{cabinet.url}/")
    log_in_through_idp(page, confirmed_citizen)
    page.get_by_label(AGREE).check()
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(page).to_have_url(f"{cabinet.url}/profile/")

    # At the IdP, «Привязанные сервисы»: the cabinet is listed; the citizen withdraws.
    page.goto(f"{idp.url}/settings/linked-services/")
    row = page.get_by_role("row").filter(has_text="ЕГИСЗ")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Отозвать согласие").click()
    expect(page.get_by_role("row").filter(has_text="ЕГИСЗ")).to_have_count(0)

    # The IdP tells the cabinet (back-channel logout): its next page ends the session.
    expect_cabinet_session_ended(page, cabinet, confirmed_citizen)


def test_password_changed_at_the_idp_ends_the_cabinet_session_in_another_browser(
    idp, cabinet, new_context, confirmed_citizen
):
    """«Смените пароль и завершите сеансы»: a cabinet session opened in one browser (as
    by someone who learnt the password) ends when the owner changes the password at the
    IdP in another."""
    other = new_context().new_page()
    other.goto(f"{cabinet.url}/")
    log_in_through_idp(other, confirmed_citizen)
    other.get_by_label(AGREE).check()
    other.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(other).to_have_url(f"{cabinet.url}/profile/")

    owner = new_context().new_page()
    log_in(owner, confirmed_citizen.phone, confirmed_citizen.password)
    owner.goto("/settings/password/")
    owner.get_by_label("Текущий пароль").fill(confirmed_citizen.password)
    owner.get_by_label("Новый пароль", exact=True).fill("Novy#Parol2026x")
    owner.get_by_label("Повторите новый пароль").fill("Novy#Parol2026x")
    owner.get_by_role("button", name="Сохранить").click()
    expect(owner.get_by_text("Пароль изменён").first).to_be_visible()

    expect_cabinet_session_ended(other, cabinet, confirmed_citizen)


def test_logging_out_after_refusing_consent_ends_the_idp_session_too(
    idp, cabinet, page, confirmed_citizen
):
    page.goto(f"{cabinet.url}/")
    log_in_through_idp(page, confirmed_citizen)
    page.get_by_role("button", name="Отказаться", exact=True).click()
    expect(page.get_by_text("Вы не дали согласие на передачу данных из Госуслуг")).to_be_visible()

    # No ID token names the citizen, so the IdP asks before ending its session.
    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_role("heading", name="Выйти из учётной записи?")).to_be_visible()
    page.get_by_role("button", name="Выйти", exact=True).last.click()
    expect(page).to_have_url(f"{cabinet.url}/")
    expect(page.get_by_role("link", name="Войти через Госуслуги").first).to_be_visible()
    page.goto(f"{idp.url}/settings/sessions/")
    expect(page).to_have_url(re.compile(r"/login/"))


OPERATOR = ("operator", "Demo#Operator2026", "+79162220001")


def test_attachment_requested_by_the_patient_and_accepted_in_the_operator_console(
    idp, cabinet, new_context, confirmed_citizen
):
    patient = new_context().new_page()
    patient.goto(f"{cabinet.url}/")
    log_in_through_idp(patient, confirmed_citizen)
    patient.get_by_label(AGREE).check()
    patient.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(patient).to_have_url(f"{cabinet.url}/profile/")

    # The policy first, then the organisation from the directory.
    patient.goto(f"{cabinet.url}/policy/")
    patient.get_by_label("Номер полиса ОМС (ЕНП)").fill("7700 0000 0000 0016")
    patient.get_by_label("Страховая медицинская организация").select_option(
        label="ООО «Капитал МС»"
    )
    patient.get_by_role("button", name="Сохранить").click()
    expect(patient.get_by_text("7700 0000 0000 0016").first).to_be_visible()

    patient.goto(f"{cabinet.url}/organizations/")
    patient.get_by_label("Название").fill("поликлиника")
    patient.get_by_role("button", name="Найти").click()
    patient.get_by_role("main").get_by_role(
        "link", name=re.compile("поликлиника", re.I)
    ).first.click()
    organization = patient.get_by_role("heading", level=1).inner_text()
    patient.get_by_role("link", name="Прикрепиться").click()
    patient.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(patient.get_by_text("на рассмотрении").first).to_be_visible()

    # The operator's staff: password, then the SMS code, then the decision.
    console = new_context().new_page()
    login, password, phone = OPERATOR
    console.goto(f"{cabinet.url}/operator/")
    console.get_by_label(re.compile("Имя пользователя")).fill(login)
    console.get_by_label(re.compile("Пароль")).fill(password)
    console.get_by_role("button", name=re.compile("Войти")).click()
    code = read_sms_code(console.context, phone, "консоль оператора", f"{cabinet.url}/dev/outbox")
    console.get_by_label("Код подтверждения").fill(code)
    console.get_by_role("button", name="Подтвердить", exact=True).click()
    console.get_by_role("link", name="Прикрепления").first.click()
    request_row = console.get_by_role("row").filter(has_text=confirmed_citizen.last_name)
    request_row.get_by_role("link").first.click()
    console.get_by_role("link", name="Рассмотреть").click()
    console.get_by_label("Принять").check()
    console.get_by_role("button", name="Подтвердить").click()

    # The patient is told and sees the attachment accepted.
    patient.goto(f"{cabinet.url}/")
    expect(patient.get_by_text(f"Прикрепление принято: {organization}").first).to_be_visible()
    patient.goto(f"{cabinet.url}/policy/")
    expect(patient.get_by_text("принято").first).to_be_visible()
    expect(patient.get_by_text(organization).first).to_be_visible()
