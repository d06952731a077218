"""The cabinet's form controls in a real browser: file fields speak the page's language even
in an English-language browser, and the directory's search field looks like every other
field."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEFAULT_TIMEOUT_MS
from tests.e2e.test_cabinet import (  # noqa: F401 (confirmed_citizen is a fixture)
    AGREE,
    confirmed_citizen,
    log_in_through_idp,
    scan_png,
)

pytestmark = pytest.mark.e2e

# What makes two fields look alike.
LOOK = """el => {
  const style = getComputedStyle(el);
  return ["borderTopWidth", "borderTopStyle", "borderTopColor", "borderRadius", "paddingLeft",
          "fontSize", "fontFamily", "backgroundColor", "color"].map(name => style[name]);
}"""


@pytest.fixture
def english_browser(browser, idp):
    """A browser whose language is English (its own controls say «Choose File»)."""
    context = browser.new_context(base_url=idp.url, locale="en-US")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context
    context.close()


def test_a_file_field_is_russian_in_an_english_browser_and_its_button_chooses_the_file(
    idp,
    cabinet,
    english_browser,
    confirmed_citizen,  # noqa: F811 (the fixture imported above)
):
    page = english_browser.new_page()
    page.goto(f"{cabinet.url}/")
    log_in_through_idp(page, confirmed_citizen)
    page.get_by_label(AGREE).check()
    page.get_by_role("button", name="Подтвердить", exact=True).click()
    expect(page).to_have_url(f"{cabinet.url}/profile/")

    passport = page.locator(".file-input").filter(has=page.locator("#id_passport_scan"))
    # What the field shows is ours: the button and «no file yet», in Russian.
    expect(passport).to_have_text(re.compile(r"^\s*Выбрать файл\s+Файл не выбран\s*$"))
    native = page.locator("#id_passport_scan").bounding_box()
    assert native["width"] <= 1 and native["height"] <= 1  # the browser's «Choose File»

    with page.expect_file_chooser() as chooser:
        passport.get_by_text("Выбрать файл").click()
    chooser.value.set_files(scan_png("passport"))
    expect(passport).to_contain_text("passport.png")

    page.get_by_label("ИНН").fill("500100732259")
    page.get_by_label("Место работы или учёбы").fill("ГБОУ «Школа № 1234», учитель")
    page.get_by_label("Скан СНИЛС").set_input_files(scan_png("snils"))
    page.get_by_role("button", name="Сохранить").click()
    expect(page).to_have_url(f"{cabinet.url}/")
    expect(page.get_by_text("Профиль заполнен").first).to_be_visible()


def test_the_directory_search_field_looks_like_the_other_fields(cabinet, page):
    page.goto(f"{cabinet.url}/organizations/")

    search = page.get_by_label("Название")
    region = page.get_by_label("Регион")

    expect(search).to_be_visible()
    assert search.evaluate(LOOK) == region.evaluate(LOOK)
