"""«Главная», the menu and limited mode, as a visitor, a patient and a limited visitor see them."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from egisz.cabinet.portal.limited import LEVEL, REFUSED, enter_limited_mode
from egisz.cabinet.portal.sections import SECTIONS

PERSONAL_SECTIONS = [section for section in SECTIONS if not section.in_limited_mode]


def menu_labels(html: str) -> list[str]:
    menu = html.split('class="side-menu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r">([^<]+)</a>", menu)


def current_section(html: str) -> str:
    return re.search(r'aria-current="page">([^<]+)<', html).group(1)


def limited_client(client, *, reason, level=""):
    # Limited mode lives in the session, as the login callback leaves it.
    session = client.session
    request = type("Request", (), {"session": session})()
    enter_limited_mode(request, reason=reason, level=level)
    session.save()
    return client


@pytest.mark.django_db
def test_a_visitor_sees_the_way_in_and_only_what_needs_no_personal_data(client):
    html = client.get("/").content.decode()
    assert "Войти через Госуслуги" in html
    assert reverse("sso:login") in html
    assert menu_labels(html) == [str(s.label) for s in SECTIONS if s.in_limited_mode]


@pytest.mark.django_db
def test_refused_consent_explains_and_offers_to_give_it_later(client):
    html = limited_client(client, reason=REFUSED).get("/").content.decode()
    assert "Вы не дали согласие на передачу данных из Госуслуг" in html
    assert "Дать согласие на передачу данных" in html
    assert f'action="{reverse("sso:login")}"' in html
    assert "Личные данные" not in menu_labels(html)


@pytest.mark.django_db
def test_an_unconfirmed_account_is_told_why_and_how_to_confirm(client):
    response = limited_client(client, reason=LEVEL, level="urn:egisz:loa:standard").get("/")
    html = response.content.decode()
    assert "Ваша учётная запись на Госуслугах — стандартная" in html
    assert "Подтвердите личность" in html
    assert "паспорт и СНИЛС указаны" not in html  # already checked for a standard account
    assert "Личные данные" not in menu_labels(html)


@pytest.mark.django_db
def test_a_simplified_account_is_told_to_add_its_documents_first(client):
    response = limited_client(client, reason=LEVEL, level="urn:egisz:loa:simplified").get("/")
    html = response.content.decode()
    assert "Ваша учётная запись на Госуслугах — упрощённая" in html
    assert "паспорт и СНИЛС указаны" in html


@pytest.mark.django_db
@pytest.mark.parametrize("section", PERSONAL_SECTIONS, ids=lambda s: s.key)
def test_personal_sections_send_a_limited_visitor_back_to_the_explanation(client, section):
    response = limited_client(client, reason=REFUSED).get(section.url)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


@pytest.mark.django_db
@pytest.mark.parametrize("section", PERSONAL_SECTIONS, ids=lambda s: s.key)
def test_personal_sections_ask_a_visitor_to_log_in_and_come_back(client, section):
    response = client.get(section.url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sso:login"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.key)
def test_every_menu_section_works_and_is_marked_current(patient_client, section):
    response = patient_client.get(section.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert current_section(html) == str(section.label)
    assert menu_labels(html) == [str(s.label) for s in SECTIONS]


def test_home_shows_every_panel(patient_client):
    html = patient_client.get("/").content.decode()
    for title in ("Уведомления", "Частые действия"):
        assert title in html
    assert html.count('class="panel"') >= 4


def test_the_patient_sees_their_own_name_and_never_another_patients(
    patient_client, patient, other_patient
):
    html = patient_client.get("/").content.decode()
    assert patient.first_name in html and patient.last_name in html
    assert other_patient.last_name not in html


@pytest.mark.django_db
def test_forms_may_lead_to_the_provider_and_nowhere_else(client, settings):
    # «Выйти» and «Дать согласие» answer with a redirect to the provider, which browsers
    # check against form-action.
    policy = client.get("/")["Content-Security-Policy"]
    form_action = next(part for part in policy.split("; ") if part.startswith("form-action"))
    issuer = urlsplit(settings.OIDC_ISSUER)
    assert form_action == f"form-action 'self' {issuer.scheme}://{issuer.netloc}"


def test_home_runs_a_fixed_number_of_queries_however_much_there_is(patient_client, patient):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from egisz.cabinet.notifications.kinds import NotificationKind
    from egisz.cabinet.notifications.services import notify_patient

    def queries_of_home() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert patient_client.get("/").status_code == 200
        return len(captured)

    notify_patient(patient=patient, kind=NotificationKind.PROFILE_COMPLETED)
    few = queries_of_home()
    for n in range(30):
        notify_patient(
            patient=patient,
            kind=NotificationKind.ATTACHMENT_REJECTED,
            params={"organization": f"ГП № {n}", "reason": "Нет мест"},
        )
    assert queries_of_home() == few
    # The page itself is 8 (user, patient, two for notifications, one per other panel); the
    # rest saves the session's idle-time marker.
    assert few <= 16
