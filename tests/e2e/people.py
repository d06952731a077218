"""What a person does in the browser, step by step, shared by the e2e tests."""

import re

from playwright.sync_api import BrowserContext, Page, expect

CODE = re.compile(r"\b(\d{6})\b")


def read_sms_code(
    context: BrowserContext, phone: str, containing: str, outbox_url: str = "/dev/outbox"
) -> str:
    """Opens the demo outbox in another tab of the same browser, as a person glances at their
    phone, and reads the code from the newest SMS to `phone` whose text has `containing`.
    (Each site has its own outbox: the IdP's by default, the cabinet's by its full URL.)"""
    outbox = context.new_page()
    try:
        outbox.goto(outbox_url)
        row = outbox.get_by_role("row").filter(has_text=phone).filter(has_text=containing).first
        text = row.inner_text()
    finally:
        outbox.close()
    found = CODE.search(text)
    assert found, f"no 6-digit code in the SMS to {phone}: {text!r}"
    return found.group(1)


def submit_password(page: Page, identifier: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Телефон, почта или СНИЛС").fill(identifier)
    page.get_by_label("Пароль", exact=True).fill(password)
    page.get_by_role("button", name="Войти", exact=True).click()


def log_in(page: Page, phone: str, password: str) -> None:
    """Password, then the SMS code read from the outbox; ends on the page after login."""
    submit_password(page, phone, password)
    expect(page.get_by_text("Мы отправили SMS с кодом на номер")).to_be_visible()
    # A code sent moments ago and not used yet is still valid: it is the latest SMS.
    code = read_sms_code(page.context, phone, "Код для входа")
    page.get_by_label("Код подтверждения").fill(code)
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def snils_for(serial: int) -> str:
    """A valid СНИЛС (check number per the Pension Fund's rule) typed as people write it."""
    first_nine = f"{100_000_000 + serial:09d}"
    total = sum(int(d) * w for d, w in zip(first_nine, range(9, 0, -1), strict=True))
    check = total if total < 100 else (0 if total in (100, 101) else total % 101 % 100)
    return f"{first_nine[:3]}-{first_nine[3:6]}-{first_nine[6:]} {check:02d}"


def personal_inn_for(serial: int) -> str:
    """A valid 12-digit ИНН of a person (two check digits)."""
    digits = f"77{10_000_000 + serial:08d}"
    for weights in ((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)):
        digits += str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)
    return digits


def typed_phone(e164: str) -> str:
    """+79165551000 as a person types it: 8 (916) 555-10-00."""
    n = e164[2:]
    return f"8 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}"
