"""The directory: public, searchable by name, region and type, paginated; bad filters are
ignored with a message, never a 500."""

import pytest
from django.urls import reverse

from egisz.cabinet.organizations.demo import load_demo_organizations
from egisz.cabinet.organizations.models import MedicalOrganization
from egisz.cabinet.portal.limited import REFUSED, enter_limited_mode

pytestmark = pytest.mark.django_db
URL = "/organizations/"


@pytest.fixture
def demo():
    load_demo_organizations()


def names(response) -> list[str]:
    return [organization.short_name for organization in response.context["page"].object_list]


def test_url_names():
    assert reverse("organizations:directory") == URL
    assert reverse("organizations:policy") == "/policy/"


def test_anonymous_visitor_sees_the_first_page_of_twenty(client, demo):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["section"] == "organizations"
    page = response.context["page"]
    assert len(page.object_list) == 20
    assert page.paginator.count == MedicalOrganization.objects.count()
    html = response.content.decode()
    first = page.object_list[0]
    for shown in (
        first.short_name,
        first.get_kind_display(),
        first.region_name,
        first.address,
        first.phone_display,
        first.hours,
    ):
        assert shown in html


def test_limited_mode_sees_the_directory(client, demo):
    session = client.session
    enter_limited_mode(type("R", (), {"session": session})(), reason=REFUSED)
    session.save()
    response = client.get(URL)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 20


def test_search_by_name_is_case_blind_and_covers_the_full_name(client, demo):
    assert names(client.get(URL, {"q": "гкб им. с. п. боткина"})) == ["ГКБ им. С. П. Боткина"]
    # Only in the full name («... дерматовенерологии и косметологии ...»).
    assert names(client.get(URL, {"q": "ДЕРМАТОВЕНЕРОЛОГИИ"})) == ["МНПЦДК ДЗМ"]
    # «ё» and «е» are the same letter for the search.
    assert names(client.get(URL, {"q": "противотуберкулезный"})) == ["МОПТД, Подольский филиал"]
    # Several words: all of them, in any order.
    assert names(client.get(URL, {"q": "Казань поликлиника 10"})) == [
        "Городская поликлиника № 10 (Казань)"
    ]


def test_filter_by_region_and_type(client, demo):
    response = client.get(URL, {"region": "16"})
    assert {o.region for o in response.context["page"].object_list} == {"16"}
    assert response.context["page"].paginator.count == 8
    response = client.get(URL, {"kind": "dental"})
    kinds = {o.kind for o in response.context["page"].object_list}
    assert kinds == {"dental"}
    response = client.get(URL, {"region": "78", "kind": "dental", "q": "стоматолог"})
    assert names(response) == ["Стоматологическая поликлиника № 6"]


def test_inactive_organisations_are_not_listed(client, make_organization):
    make_organization(short_name="Закрытая поликлиника", is_active="0")
    response = client.get(URL, {"q": "закрытая"})
    assert names(response) == []
    assert "Ничего не найдено" in response.content.decode()


def test_only_regions_present_are_offered(client, demo):
    response = client.get(URL)
    codes = [code for code, _name in response.context["form"].fields["region"].choices if code]
    assert sorted(codes) == ["16", "50", "54", "66", "77", "78"]


@pytest.mark.parametrize(
    "params",
    [
        {"region": "99"},
        {"region": "<script>"},
        {"kind": "морг"},
        {"q": "я" * 500},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999"},
        {"page": "1e9"},
        {"q": "\x00"},
        {"region": ["77", "78"]},
    ],
)
def test_bad_parameters_are_ignored_never_a_500(client, demo, params):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response.context["page"].object_list


def test_like_wildcards_are_searched_as_plain_characters(client, demo):
    response = client.get(URL, {"q": "%_"})
    assert response.status_code == 200
    assert names(response) == []


def test_a_bad_filter_is_explained_and_the_good_ones_still_apply(client, demo):
    response = client.get(URL, {"region": "99", "kind": "dental"})
    html = response.content.decode()
    assert "Такого региона нет в справочнике." in html
    assert {o.kind for o in response.context["page"].object_list} == {"dental"}


def test_pages_keep_the_filters(client, demo):
    response = client.get(URL, {"q": "поликлиника"})
    assert response.context["page"].has_next()
    assert "?q=%D0%BF" in response.content.decode()
    second = client.get(URL, {"q": "поликлиника", "page": 2})
    assert set(names(second)).isdisjoint(names(response))


def test_the_list_takes_a_fixed_number_of_queries(client, demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # regions, count, page (+ session)
        client.get(URL, {"q": "поликлиника"})
    with django_assert_max_num_queries(4):
        client.get(URL)


def test_detail_shows_everything(client, organization):
    response = client.get(f"/organizations/{organization.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for shown in (
        organization.full_name,
        organization.short_name,
        organization.address,
        organization.oid,
        organization.hours,
        "+7 495 123-45-67",
        "Москва",
        "поликлиника",
    ):
        assert shown in html
    assert "войдите в кабинет через Госуслуги" in html
    assert "Прикрепиться" not in html


def test_detail_by_oid_redirects_and_unknown_ids_are_404(client, organization):
    response = client.get(f"/organizations/oid/{organization.oid}/")
    assert response.status_code == 302
    assert response["Location"] == f"/organizations/{organization.pk}/"
    assert client.get("/organizations/oid/1.2.643.999/").status_code == 404
    assert client.get("/organizations/999999/").status_code == 404
