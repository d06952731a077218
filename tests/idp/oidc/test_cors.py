"""A browser-only public client (a single-page app) works with the token side from its own
origin: the token endpoint, revocation and UserInfo answer it with CORS headers for the
origins of public clients' redirect URIs, nothing wider, never with credentials."""

import pytest

from egisz.idp.accounts.models import Level
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db

APP_ORIGIN = "https://app.example"
APP_REDIRECT = "https://app.example/callback"


@pytest.fixture
def account(make_account):
    return make_account(level=Level.STANDARD)


@pytest.fixture
def spa():
    return flow.make_client(name="Приложение в браузере", redirect_uri=APP_REDIRECT, public=True)


@pytest.fixture
def confidential():
    # Its redirect URI's origin (https://rp.example) is a server's, not a browser app's.
    return flow.make_client()


def preflight(client, path: str, origin: str, method: str = "POST", headers: str = ""):
    """What a browser asks before a cross-origin request with headers of its own."""
    extra = {"HTTP_ACCESS_CONTROL_REQUEST_HEADERS": headers} if headers else {}
    return client.options(
        path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method, **extra
    )


def assert_readable_by(response, origin: str):
    assert response["Access-Control-Allow-Origin"] == origin
    assert "Access-Control-Allow-Credentials" not in response
    assert "Origin" in response["Vary"]


def assert_not_readable(response):
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]


def test_a_public_client_redeems_its_code_from_its_origin(client, spa, account):
    code = flow.issue_code(spa, account, redirect_uri=APP_REDIRECT)
    response = flow.exchange(client, spa, code, auth="none", headers={"HTTP_ORIGIN": APP_ORIGIN})
    assert response.status_code == 200, response.content
    assert response.json()["access_token"]
    assert_readable_by(response, APP_ORIGIN)


def test_errors_are_readable_too(client, spa, account):
    code = flow.issue_code(spa, account, redirect_uri=APP_REDIRECT)
    response = flow.exchange(
        client,
        spa,
        code,
        auth="none",
        code_verifier="x" * 50,
        headers={"HTTP_ORIGIN": APP_ORIGIN},
    )
    assert response.json()["error"] == "invalid_grant"
    assert_readable_by(response, APP_ORIGIN)


def test_the_preflight_is_answered_for_the_apps_origin(client, spa):
    response = preflight(client, "/oidc/token/", APP_ORIGIN, headers="content-type")
    assert response.status_code == 204
    assert_readable_by(response, APP_ORIGIN)
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "content-type" in response["Access-Control-Allow-Headers"].lower()
    assert int(response["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize(
    "origin",
    [
        "https://rp.example",  # a confidential client's
        "https://evil.example",
        "https://app.example:8443",
        "http://app.example",
        "https://app.example.evil.example",
        "null",
    ],
)
def test_other_origins_get_no_cors_headers(client, spa, confidential, account, origin):
    code = flow.issue_code(spa, account, redirect_uri=APP_REDIRECT)
    response = flow.exchange(client, spa, code, auth="none", headers={"HTTP_ORIGIN": origin})
    assert response.status_code == 200  # answered, but the browser keeps it from the page
    assert_not_readable(response)
    refused = preflight(client, "/oidc/token/", origin)
    assert_not_readable(refused)
    assert "Access-Control-Allow-Methods" not in refused


def test_the_port_of_a_registered_redirect_uri_is_part_of_its_origin(client, account):
    app = flow.make_client(name="Демо", redirect_uri="http://127.0.0.1:8002/callback", public=True)
    code = flow.issue_code(app, account, redirect_uri="http://127.0.0.1:8002/callback")
    response = flow.exchange(
        client, app, code, auth="none", headers={"HTTP_ORIGIN": "http://127.0.0.1:8002"}
    )
    assert_readable_by(response, "http://127.0.0.1:8002")
    assert_not_readable(preflight(client, "/oidc/token/", "http://127.0.0.1:8003"))


def test_userinfo_and_revocation_are_readable_from_the_apps_origin(client, spa, account):
    code = flow.issue_code(spa, account, redirect_uri=APP_REDIRECT)
    tokens = flow.exchange(client, spa, code, auth="none").json()

    answer = preflight(client, "/oidc/userinfo/", APP_ORIGIN, "GET", headers="authorization")
    assert answer.status_code == 204
    assert "authorization" in answer["Access-Control-Allow-Headers"].lower()
    assert "GET" in answer["Access-Control-Allow-Methods"]
    info = client.get(
        "/oidc/userinfo/",
        HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
        HTTP_ORIGIN=APP_ORIGIN,
    )
    assert info.status_code == 200 and info.json()["sub"]
    assert_readable_by(info, APP_ORIGIN)
    refused = client.get("/oidc/userinfo/", HTTP_AUTHORIZATION="Bearer x", HTTP_ORIGIN=APP_ORIGIN)
    assert refused.status_code == 401
    assert_readable_by(refused, APP_ORIGIN)
    assert "WWW-Authenticate" in refused["Access-Control-Expose-Headers"]

    revoked = client.post(
        "/oidc/revoke/",
        {"token": tokens["access_token"], "client_id": spa.client_id},
        HTTP_ORIGIN=APP_ORIGIN,
    )
    assert revoked.status_code == 200
    assert_readable_by(revoked, APP_ORIGIN)


def test_introspection_stays_closed_to_browsers(client, spa):
    # Only confidential clients introspect: no browser app needs it.
    response = client.post("/oidc/introspect/", {"token": "x"}, HTTP_ORIGIN=APP_ORIGIN)
    assert "Access-Control-Allow-Origin" not in response


def test_discovery_and_the_jwks_stay_open_to_every_origin(client):
    for path in ("/.well-known/openid-configuration", "/.well-known/jwks.json"):
        response = client.get(path, HTTP_ORIGIN="https://anyone.example")
        assert response["Access-Control-Allow-Origin"] == "*"
