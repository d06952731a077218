"""Authorization on every view: a guard that walks the cabinet's whole URL map, so a view
added later without @patient_required fails here, not in production.

Each app's own tests check that another patient's rows stay out of reach; this file checks
that no personal page answers someone who is not a logged-in patient.
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from egisz.cabinet.portal.limited import REFUSED, enter_limited_mode

# Pages that need no personal data (what the limited mode offers), the login itself, and the
# site's plumbing. Everything else is a patient's page.
PUBLIC = {
    "healthz",
    "set_language",
    "home",
    "about",
    "login",
    "callback",
    "logout",
    "backchannel_logout",
    "directory",
    "detail",
    "by_oid",
    "dev_outbox",
}
SAMPLE_ARGUMENTS = {"pk": 1, "kind": "registration", "oid": "1.2.643.5.1.13.13.12.2.77.1"}


def _routes(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("operator/"):
                continue  # Django's admin guards its own views (staff only)
            inner = pattern.namespace or namespace
            yield from _routes(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace, pattern


def personal_urls() -> list[str]:
    urls = []
    for namespace, pattern in _routes(get_resolver().url_patterns):
        if pattern.name in PUBLIC:
            continue
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        kwargs = {key: SAMPLE_ARGUMENTS[key] for key in pattern.pattern.converters}
        urls.append(reverse(name, kwargs=kwargs))
    return urls


PERSONAL_URLS = personal_urls()


def test_the_map_is_not_empty():
    assert "/personal/" in PERSONAL_URLS and "/policy/" in PERSONAL_URLS


@pytest.mark.django_db
@pytest.mark.parametrize("url", PERSONAL_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_visitor_is_sent_to_the_login_and_sees_nothing(client, url, method):
    response = getattr(client, method)(url)
    assert response.status_code in {302, 405}, response.status_code
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("sso:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("url", PERSONAL_URLS)
def test_limited_mode_is_sent_back_to_the_explanation(client, url):
    session = client.session
    enter_limited_mode(type("Request", (), {"session": session})(), reason=REFUSED)
    session.save()
    response = client.get(url)
    assert response.status_code in {302, 405}
    if response.status_code == 302:
        assert response["Location"] == reverse("portal:home")


@pytest.mark.parametrize("url", PERSONAL_URLS)
def test_staff_of_the_operator_are_not_patients(operator_client, url):
    response = operator_client.get(url)
    assert response.status_code in {302, 405}
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("sso:login"))
