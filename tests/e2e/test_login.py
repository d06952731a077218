"""Logging in with a password and an SMS code, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.people import log_in, read_sms_code, submit_password

pytestmark = pytest.mark.e2e

PASSWORD = "Sever#Veter2024"


def test_password_then_sms_code_opens_the_account(idp, page, make_account, unique_phone):
    make_account(phone=unique_phone, password=PASSWORD)
    submit_password(page, unique_phone, PASSWORD)
    expect(page).to_have_url(f"{idp.url}/login/code/")
    code = read_sms_code(page.context, unique_phone, "Код для входа")
    page.get_by_label("Код подтверждения").fill(code)
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(page).to_have_url(f"{idp.url}/")


def test_the_worker_delivers_the_sms(idp, page, make_account, unique_phone):
    make_account(phone=unique_phone, password=PASSWORD)
    submit_password(page, unique_phone, PASSWORD)
    expect(page.get_by_text("Мы отправили SMS с кодом на номер")).to_be_visible()
    page.goto("/dev/outbox")
    sms = page.get_by_role("row").filter(has_text=unique_phone).filter(has_text="Код для входа")
    for _ in range(40):
        if "отправлено" in sms.first.inner_text():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(sms.first).to_contain_text("отправлено")


def test_the_second_step_is_required(idp, page, make_account, unique_phone):
    make_account(phone=unique_phone, password=PASSWORD)
    submit_password(page, unique_phone, PASSWORD)
    expect(page.get_by_text("Мы отправили SMS с кодом на номер")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    log_in(page, unique_phone, PASSWORD)
    expect(page).to_have_url(f"{idp.url}/")


def test_a_wrong_code_is_refused_next_to_the_field(idp, page, make_account, unique_phone):
    make_account(phone=unique_phone, password=PASSWORD)
    submit_password(page, unique_phone, PASSWORD)
    code = read_sms_code(page.context, unique_phone, "Код для входа")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.get_by_label("Код подтверждения").fill(wrong)
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(page).to_have_url(f"{idp.url}/login/code/")
    expect(page.locator(".field__error")).to_be_visible()
    # The right code still works after one wrong try.
    page.get_by_label("Код подтверждения").fill(code)
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(page).to_have_url(f"{idp.url}/")
