"""Five wrong passwords lock the account for 30 minutes; the page says so."""

import pytest
from playwright.sync_api import expect

from tests.e2e.people import submit_password

pytestmark = pytest.mark.e2e

PASSWORD = "Yablonya#Cvet77"


def test_five_wrong_passwords_lock_the_account(idp, page, make_account, unique_phone):
    make_account(phone=unique_phone, password=PASSWORD)
    for attempt in range(4):
        submit_password(page, unique_phone, f"Wrong#Guess{attempt}")
        expect(page.get_by_text("Неверный логин или пароль")).to_be_visible()

    submit_password(page, unique_phone, "Wrong#Guess4")
    locked = page.get_by_text("Учётная запись временно заблокирована")
    expect(locked).to_be_visible()
    expect(locked).to_contain_text("Повторите вход через 30 минут")

    # While locked even the right password is refused, and no code is sent.
    submit_password(page, unique_phone, PASSWORD)
    expect(page).to_have_url(f"{idp.url}/login/")
    expect(page.get_by_text("Учётная запись временно заблокирована")).to_be_visible()

    # The owner is told by SMS.
    page.goto("/dev/outbox")
    rows = page.get_by_role("row").filter(has_text=unique_phone)
    expect(rows.filter(has_text="вход по нему заблокирован").first).to_be_visible()
    expect(rows.filter(has_text="Код для входа")).to_have_count(0)
