import pytest

pytestmark = pytest.mark.django_db


def test_russian_by_default_even_for_an_english_browser(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert '<html lang="ru">' in page
    assert "<h1>Вход</h1>" in page


def test_english_when_chosen_with_the_switch(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    page = client.get("/login/").content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Вход</h1>" not in page  # the English catalogue is used
    client.post("/i18n/setlang/", {"language": "ru", "next": "/login/"})
    assert "<h1>Вход</h1>" in client.get("/login/").content.decode()


def test_an_unknown_language_cookie_falls_back_to_russian(client):
    client.cookies["egisz_idp_language"] = "xx"
    assert '<html lang="ru">' in client.get("/login/").content.decode()


def test_russian_plural_forms(client):
    from django.utils import translation
    from django.utils.translation import ngettext

    with translation.override("ru"):
        singular = "Неверный код. Осталась %(n)d попытка."
        plural = "Неверный код. Осталось %(n)d попытки."
        assert ngettext(singular, plural, 2) % {"n": 2} == "Неверный код. Осталось 2 попытки."
        assert ngettext(singular, plural, 5) % {"n": 5} == "Неверный код. Осталось 5 попыток."
