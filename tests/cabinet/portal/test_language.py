"""The cabinet speaks Russian by default and English behind the header switch."""

import pytest


@pytest.mark.django_db
def test_russian_by_default(client):
    html = client.get("/").content.decode()
    assert 'lang="ru"' in html and "Войти через Госуслуги" in html


@pytest.mark.django_db
def test_english_when_chosen_with_the_cabinets_own_cookie(client):
    client.cookies["egisz_cabinet_language"] = "en"
    html = client.get("/").content.decode()
    assert 'lang="en"' in html
    assert "Sign in with Gosuslugi" in html
    assert "Войти через Госуслуги" not in html


def test_every_personal_page_reads_in_english(patient_client):
    patient_client.cookies["egisz_cabinet_language"] = "en"
    for url in ("/", "/personal/", "/policy/", "/settings/", "/profile/", "/organizations/"):
        html = patient_client.get(url).content.decode()
        assert 'lang="en"' in html, url
        assert "Личные данные" not in html, url
