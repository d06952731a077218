"""Error pages as a person sees them, in the product's wording."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.template.loader import render_to_string

from egisz.common.ui import views as ui_views

pytestmark = pytest.mark.django_db

IE11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
OLD_CHROME = (
    "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/49.0.2623.112 Safari/537.36"
)


def test_an_unknown_url_is_a_404_page(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("user_agent", [IE11, OLD_CHROME])
def test_a_very_old_browser_is_told_it_is_unsupported(client, user_agent):
    response = client.get(resolve_url(settings.LOGIN_URL), HTTP_USER_AGENT=user_agent)

    page = response.content.decode()
    assert "Неподдерживаемый браузер" in page
    assert 'name="password"' not in page


def test_the_health_check_still_answers_an_old_browser(client):
    response = client.get("/healthz", HTTP_USER_AGENT=IE11)

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_a_current_browser_gets_the_page(client):
    page = client.get(resolve_url(settings.LOGIN_URL)).content.decode()
    assert "Неподдерживаемый браузер" not in page
    assert 'name="password"' in page


@pytest.mark.urls("tests.common.urls")
def test_a_failing_view_shows_the_500_page(client):
    client.raise_request_exception = False

    response = client.get("/test/broken")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Внутренняя ошибка сервера" in page
    assert "a bug in a view" not in page, "no internals are shown"
    assert "Content-Security-Policy" in response.headers


@pytest.mark.urls("tests.common.urls")
def test_a_refused_view_shows_the_403_page(client):
    response = client.get("/test/forbidden")

    assert response.status_code == 403
    assert "Недостаточно прав доступа" in response.content.decode()


def test_the_401_page_says_authorization_failed(rf):
    response = ui_views.unauthorized(rf.get("/"))

    assert response.status_code == 401
    assert "Ошибка авторизации" in response.content.decode()


def test_the_session_expired_page(rf):
    response = ui_views.session_expired(rf.get("/"))

    assert response.status_code == 401
    assert "Сессия истекла" in response.content.decode()


def test_the_session_expired_page_leads_back_to_the_login(rf):
    html = render_to_string(
        "errors/session_expired.html",
        {"login_url": "/login/?next=%2Fsessions%2F"},
        request=rf.get("/sessions/"),
    )

    assert "Сессия истекла" in html
    assert 'href="/login/?next=%2Fsessions%2F"' in html
