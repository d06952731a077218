"""A citizen's first day: register and confirm the phone (which logs them in), look at the
login journal, log in again with password and SMS code, and end a session left open on
another device."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.people import (
    log_in,
    personal_inn_for,
    read_sms_code,
    snils_for,
    typed_phone,
)

pytestmark = pytest.mark.e2e

PASSWORD = "Rassvet#Nad2Volgoj"


def register(page, *, phone: str, serial: int) -> None:
    page.goto("/")
    # Not logged in: the account page sends to the login page, which links to registration.
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_role("link", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", name="Регистрация")).to_be_visible()

    page.get_by_label("Фамилия", exact=True).fill("Кузнецова")
    page.get_by_label("Имя", exact=True).fill("Ольга")
    page.get_by_label("Отчество").fill("Сергеевна")
    page.get_by_label("Дата рождения").fill("21.07.1988")
    page.get_by_label("СНИЛС", exact=True).fill(snils_for(serial))
    page.get_by_label("Серия и номер паспорта").fill(f"45 09 {300_000 + serial:06d}")
    page.get_by_label("ИНН").fill(personal_inn_for(serial))
    page.get_by_label("Мобильный телефон").fill(typed_phone(phone))
    page.get_by_label("Электронная почта").fill(f"olga.{serial}@example.ru")
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_label("Повторите пароль").fill(PASSWORD)
    page.get_by_label("Я принимаю пользовательское соглашение").check()
    page.get_by_role("button", name="Продолжить").click()

    expect(page.get_by_role("heading", name="Подтвердите номер телефона")).to_be_visible()
    code = read_sms_code(page.context, phone, "Код для регистрации")
    page.get_by_label("Код подтверждения").fill(code)
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    # The phone has just been proven: the new citizen is in, on their account page.
    expect(page.get_by_text("Учётная запись создана, вы вошли в неё.")).to_be_visible()


def test_register_log_in_see_the_journal_and_end_another_session(idp, new_context, unique_phone):
    page = new_context().new_page()
    register(page, phone=unique_phone, serial=int(unique_phone[-4:]))
    expect(page).to_have_url(f"{idp.url}/")
    expect(page.get_by_role("heading", name="Здравствуйте, Ольга!")).to_be_visible()

    page.get_by_role("link", name="Журнал входов").click()
    expect(page.get_by_role("heading", name="Журнал входов")).to_be_visible()
    login_row = page.get_by_role("row").filter(has_text="успешный вход")
    expect(login_row).to_have_count(1)
    expect(login_row).to_contain_text("регистрация с кодом из SMS")
    expect(login_row).to_contain_text("127.0.0.1")

    # Later the same day: out, and in again with the password and an SMS code.
    page.get_by_role("button", name="Выйти").click()
    log_in(page, unique_phone, PASSWORD)
    expect(page.get_by_role("heading", name="Здравствуйте, Ольга!")).to_be_visible()
    page.get_by_role("link", name="Журнал входов").click()
    expect(page.get_by_role("row").filter(has_text="пароль и код из SMS")).to_have_count(1)

    # The same person logs in on a second device.
    other = new_context().new_page()
    log_in(other, unique_phone, PASSWORD)
    expect(other.get_by_role("heading", name="Здравствуйте, Ольга!")).to_be_visible()

    page.get_by_role("link", name="Управление сеансами").click()
    expect(page.get_by_role("heading", name="Управление сеансами")).to_be_visible()
    session_rows = page.get_by_role("row").filter(has_text="127.0.0.1")
    expect(session_rows).to_have_count(2)
    expect(session_rows.filter(has_text="Этот сеанс")).to_have_count(1)
    end_other = page.get_by_role("button", name="Завершить", exact=True)
    expect(end_other).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    end_other.click()
    expect(session_rows).to_have_count(1)
    expect(session_rows).to_contain_text("Этот сеанс")

    # The other device is logged out; this one is not.
    other.reload()
    expect(other).to_have_url(re.compile(r"/login/"))
    expect(other.get_by_role("button", name="Войти", exact=True)).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Здравствуйте, Ольга!")).to_be_visible()
