"""The cabinet pointed at a real OpenID Connect provider running in a thread."""

from urllib.parse import urlsplit

import pytest

from tests.cabinet.sso.provider import Provider


@pytest.fixture
def provider(settings):
    idp = Provider()
    settings.OIDC_ISSUER = idp.url
    settings.OIDC_CLIENT_ID = idp.client_id
    settings.OIDC_CLIENT_SECRET = idp.client_secret
    settings.CABINET_URL = "http://testserver"
    settings.OIDC_HTTP_TIMEOUT_SECONDS = 5
    yield idp
    idp.close()


@pytest.fixture
def grant_check(settings):
    """The per-request grant check on (the cabinet's conftest turns it off)."""
    settings.OIDC_GRANT_CHECK_SECONDS = 0
    return settings


@pytest.fixture
def start_login(client, provider):
    """GET the cabinet's login and return the provider's authorization URL it sent the
    browser to."""

    def start(next_url: str | None = None, **extra) -> str:
        params = {"next": next_url} if next_url is not None else {}
        response = client.get("/sso/login/", params, **extra)
        assert response.status_code == 302, response
        location = response["Location"]
        assert location.startswith(f"{provider.url}/authorize?"), location
        return location

    return start


@pytest.fixture
def login_through_provider(client, provider, start_login):
    """The whole round trip; returns the cabinet's answer to the callback."""

    def login(next_url: str | None = None):
        url = start_login(next_url)
        return client.get(provider.approve(url))

    return login


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")
