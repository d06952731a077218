"""Each section keeps its context: the menu leads back to the list as it was left."""

import re

import pytest
from django.core.management import call_command

from egisz.cabinet.portal.limited import REFUSED, enter_limited_mode


def menu_link(html: str, label: str) -> str:
    menu = html.split('class="side-menu"', 1)[1].split("</nav>", 1)[0]
    return re.search(rf'<a href="([^"]+)"[^>]*>{label}</a>', menu).group(1).replace("&amp;", "&")


@pytest.fixture
def directory(db):
    call_command("demo_data")


def test_the_directory_search_is_there_again_after_another_section(patient_client, directory):
    patient_client.get("/organizations/", {"q": "поликлиника", "region": "77", "page": "2"})
    html = patient_client.get("/").content.decode()
    link = menu_link(html, "Медицинские организации")
    assert link.startswith("/organizations/?")
    assert "q=%D0%BF%D0%BE%D0%BB%D0%B8%D0%BA%D0%BB%D0%B8%D0%BD%D0%B8%D0%BA%D0%B0" in link
    assert "region=77" in link and "page=2" in link
    # Other sections are untouched.
    assert menu_link(html, "Личные данные") == "/personal/"


def test_opening_the_bare_list_forgets_the_search(patient_client, directory):
    patient_client.get("/organizations/", {"q": "больница"})
    patient_client.get("/organizations/")
    html = patient_client.get("/").content.decode()
    assert menu_link(html, "Медицинские организации") == "/organizations/"


def test_only_the_sections_own_address_is_remembered(patient_client, directory):
    patient_client.get("/organizations/1/", {"x": "1"})
    patient_client.get("/notifications/", {"page": "1"})
    html = patient_client.get("/").content.decode()
    assert menu_link(html, "Медицинские организации") == "/organizations/"


def test_limited_mode_keeps_its_search_too(client, directory):
    session = client.session
    enter_limited_mode(type("Request", (), {"session": session})(), reason=REFUSED)
    session.save()
    client.get("/organizations/", {"kind": "polyclinic"})
    link = menu_link(client.get("/").content.decode(), "Медицинские организации")
    assert link == "/organizations/?kind=polyclinic"


def test_a_passing_visitor_gets_no_session_for_it(client, directory):
    response = client.get("/organizations/", {"q": "больница"})
    assert "egisz_cabinet_session" not in response.cookies


def test_the_remembered_address_is_escaped_in_the_menu(patient_client, directory):
    patient_client.get("/organizations/", {"q": '"><script>alert(1)</script>'})
    html = patient_client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in html
