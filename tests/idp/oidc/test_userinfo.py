"""UserInfo: GET and POST, the bearer token in the header or the body, and nothing a
granted scope does not cover."""

import base64
import json

import pytest
import time_machine
from joserfc import jwt
from joserfc.jwk import RSAKey

from egisz.idp.accounts.models import Level
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db

EVERYTHING = "openid fullname birthdate snils inn id_doc mobile email"


@pytest.fixture
def account(make_account):
    return make_account(
        level=Level.CONFIRMED,
        snils="11223344595",
        inn="500100732259",
        passport="4510123456",
        email="maria@example.ru",
        email_confirmed=True,
    )


@pytest.fixture
def rp():
    return flow.make_client(scopes=EVERYTHING + " profile phone")


@pytest.fixture
def tokens(client, rp, account):
    return flow.tokens_for(client, rp, account, scope="openid fullname birthdate")


def assert_bearer_challenge(response, error="invalid_token"):
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert f'error="{error}"' in response["WWW-Authenticate"]
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == error


def test_get_with_the_token_in_the_header(client, tokens, account):
    response = client.get("/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "sub": str(account.sub),
        "family_name": "Иванова",
        "given_name": "Мария",
        "middle_name": "Петровна",
        "name": "Иванова Мария Петровна",
        "birthdate": "1985-03-14",
    }


def test_post_with_the_token_in_the_header(client, tokens, account):
    response = client.post("/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert response.status_code == 200 and response.json()["sub"] == str(account.sub)


def test_post_with_the_token_in_the_body(client, tokens, account):
    response = client.post("/oidc/userinfo/", {"access_token": tokens["access_token"]})
    assert response.status_code == 200 and response.json()["sub"] == str(account.sub)


def test_a_token_in_the_url_is_refused(client, tokens):
    response = client.get("/oidc/userinfo/", {"access_token": tokens["access_token"]})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_no_token_is_a_bearer_challenge(client):
    assert_bearer_challenge(client.get("/oidc/userinfo/"))


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "x" * 20_000,
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIn0.",
        "a\x00b",
        "ЖЖЖ",
    ],
)
def test_garbage_tokens_are_invalid_token(client, token):
    response = client.post("/oidc/userinfo/", {"access_token": token})
    assert_bearer_challenge(response)


def test_a_token_signed_by_another_issuer_is_refused(client, rp, account, settings):
    key = RSAKey.generate_key(2048, parameters={"kid": "evil"}, private=True)
    forged = jwt.encode(
        {"typ": "at+jwt", "alg": "RS256", "kid": "evil"},
        {"iss": settings.OIDC_ISSUER, "sub": str(account.sub), "scope": "openid fullname"},
        key,
    )
    assert_bearer_challenge(flow.userinfo(client, forged))


def test_a_token_with_alg_none_is_refused(client, tokens):
    _header, payload, _signature = tokens["access_token"].split(".")
    unsigned_header = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "typ": "at+jwt"}).encode()
    ).rstrip(b"=")
    assert_bearer_challenge(flow.userinfo(client, f"{unsigned_header.decode()}.{payload}."))


def test_an_id_token_is_not_a_bearer_token(client, tokens):
    assert_bearer_challenge(flow.userinfo(client, tokens["id_token"]))


def test_an_expired_token_is_refused(client, rp, account, settings):
    with time_machine.travel("2026-06-01 09:00Z", tick=False) as clock:
        tokens = flow.tokens_for(client, rp, account)
        clock.shift(settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"] - 1)
        assert flow.userinfo(client, tokens["access_token"]).status_code == 200
        clock.shift(1)
        assert_bearer_challenge(flow.userinfo(client, tokens["access_token"]))


def test_a_deactivated_account_gets_nothing(client, tokens, account):
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert_bearer_challenge(flow.userinfo(client, tokens["access_token"]))


def test_a_token_without_openid_is_insufficient_scope(client, rp, account):
    # A plain OAuth 2 grant (no openid): tokens, but no UserInfo.
    tokens = flow.tokens_for(client, rp, account, scope="fullname")
    assert "id_token" not in tokens
    response = flow.userinfo(client, tokens["access_token"])
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_a_client_granted_only_fullname_gets_no_snils_even_if_it_asks(client, account):
    rp = flow.make_client(scopes="openid fullname snils")
    tokens = flow.tokens_for(
        client,
        rp,
        account,
        scope="openid fullname",
        claims={"userinfo": {"snils": {"essential": True}, "birthdate": None}},
    )
    data = flow.userinfo(client, tokens["access_token"]).json()
    assert set(data) == {"sub", "family_name", "given_name", "middle_name", "name"}
    assert "snils" not in json.dumps(data)


def test_esia_scopes_release_their_claims(client, rp, account):
    tokens = flow.tokens_for(client, rp, account, scope=EVERYTHING)
    data = flow.userinfo(client, tokens["access_token"]).json()
    assert data["snils"] == "112-233-445 95"
    assert data["inn"] == "500100732259"
    assert data["id_doc"]["series"] == "4510" and data["id_doc"]["number"] == "123456"
    assert data["phone_number"] == account.phone and data["phone_number_verified"] is True
    assert data["email"] == "maria@example.ru" and data["email_verified"] is True
    assert data["birthdate"] == "1985-03-14"


def test_standard_scopes_use_the_standard_claim_names(client, rp, account):
    tokens = flow.tokens_for(client, rp, account, scope="openid profile email phone")
    data = flow.userinfo(client, tokens["access_token"]).json()
    assert {"family_name", "given_name", "name", "birthdate", "email", "phone_number"} <= set(data)
    assert "snils" not in data and "inn" not in data and "id_doc" not in data


def test_openid_alone_releases_only_the_subject(client, rp, account):
    tokens = flow.tokens_for(client, rp, account, scope="openid")
    assert flow.userinfo(client, tokens["access_token"]).json() == {"sub": str(account.sub)}


def test_a_pairwise_client_sees_its_own_subject(client, account):
    rp = flow.make_client(pairwise=True)
    tokens = flow.tokens_for(client, rp, account)
    data = flow.userinfo(client, tokens["access_token"]).json()
    assert data["sub"] != str(account.sub)
    assert data["sub"] == flow.verify(client, tokens["id_token"]).claims["sub"]
