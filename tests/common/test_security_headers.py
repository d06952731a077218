"""Security headers, cookie flags and CSRF refusal on real pages."""

import re

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client

from tests.conftest import BROWSER_UA

pytestmark = pytest.mark.django_db


def login_url() -> str:
    return resolve_url(settings.LOGIN_URL)


@pytest.fixture(params=["/healthz", "login"])
def page(request):
    return login_url() if request.param == "login" else request.param


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()
    }


def test_pages_carry_the_security_headers(client, page):
    response = client.get(page)

    assert response.status_code == 200
    csp = csp_directives(response)
    assert csp["script-src"] == "script-src 'self'"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["login", "/dev/outbox", "/no-such-page"])
def test_pages_have_no_inline_script_or_style(client, path):
    html = client.get(login_url() if path == "login" else path).content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html
    assert re.findall(r"\sstyle=", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []


@pytest.mark.urls("tests.common.urls")
def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.get("/test/session")

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_the_csrf_cookie_is_httponly_and_samesite_lax(client):
    response = client.get(login_url())

    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.urls("tests.common.urls")
@pytest.mark.parametrize("secure", [True, False])
def test_cookies_are_secure_when_the_settings_say_so(client, settings, secure):
    settings.SESSION_COOKIE_SECURE = secure
    settings.CSRF_COOKIE_SECURE = secure

    session_cookie = client.get("/test/session", secure=secure).cookies[
        settings.SESSION_COOKIE_NAME
    ]
    csrf_cookie = client.get("/no-such-page", secure=secure).cookies[settings.CSRF_COOKIE_NAME]

    assert bool(session_cookie["secure"]) is secure
    assert bool(csrf_cookie["secure"]) is secure


def test_a_post_without_a_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER_UA)

    response = client.post(login_url(), {"identifier": "+79161234567", "password": "x"})

    assert response.status_code == 403
    assert "Форма устарела" in response.content.decode()


def test_a_post_with_a_forged_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER_UA)
    client.get(login_url())

    response = client.post(login_url(), {"csrfmiddlewaretoken": "A" * 64, "identifier": "x"})

    assert response.status_code == 403
    assert "Форма устарела" in response.content.decode()


def test_hsts_is_sent_over_tls_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    secure = client.get("/healthz", secure=True)
    plain = client.get("/healthz")

    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in plain.headers
