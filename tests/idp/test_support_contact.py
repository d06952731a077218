"""Wherever the provider sends a person to support, it says how to reach it: the contact
from EGISZ_SUPPORT_CONTACT (a demo value in demo mode)."""

import pytest
from django.test import RequestFactory

from egisz.common.settings import DEMO_SUPPORT_CONTACT
from egisz.common.ui.views import server_error
from tests.idp.helpers_login import latest_code, latest_message

pytestmark = pytest.mark.django_db

CONTACT = "8 800 707-07-07, help@gosuslugi.example"
NEW_PASSWORD = "Severnoe#Siyanie42"


@pytest.fixture(autouse=True)
def contact(settings):
    settings.SUPPORT_CONTACT = CONTACT


def test_the_demo_has_a_contact_of_its_own():
    assert DEMO_SUPPORT_CONTACT and "демо" in DEMO_SUPPORT_CONTACT


def test_the_recovery_dead_end_says_how_to_reach_support(client):
    page = client.get("/recover/").content.decode()
    assert "Нет доступа ни к телефону, ни к почте?" in page
    assert f"Обратитесь в службу поддержки ({CONTACT})" in page


def test_the_terms_say_how_to_reach_support(client):
    page = client.get("/terms/").content.decode()
    assert f"Сообщить в службу поддержки ({CONTACT})" in page


def test_the_password_changed_notice_says_how_to_reach_support(client, make_account):
    account = make_account()
    client.post("/recover/", {"contact": account.phone})
    client.post("/recover/code/", {"code": latest_code(account.phone)})
    client.post(
        "/recover/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    notice = latest_message(account.phone, "пароль вашей учётной записи изменён")
    assert notice.body.endswith(f"обратитесь в службу поддержки: {CONTACT}.")


def test_the_error_pages_say_how_to_reach_support(client, make_account):
    client.force_login(make_account())
    refused = client.get("/support/", follow=True)
    assert refused.status_code == 403
    assert f"обратитесь в службу поддержки: {CONTACT}" in refused.content.decode()
    failed = server_error(RequestFactory().get("/"))
    assert CONTACT in failed.content.decode()
