"""The token endpoint: code exchange, single-use codes, PKCE, ID tokens, JWT access
tokens, refresh rotation, revocation and introspection."""

import datetime
import secrets
import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client
from oauth2_provider.models import AccessToken, RefreshToken
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from egisz.common.audit.models import AuditEvent
from egisz.idp.accounts.models import Level
from egisz.idp.oidc import access_tokens
from egisz.idp.oidc.models import AuthorizationContext
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def account(make_account):
    return make_account(
        level=Level.STANDARD, snils="11223344595", inn="500100732259", email="maria@example.ru"
    )


@pytest.fixture
def rp():
    return flow.make_client(scopes="openid fullname birthdate snils")


def error_of(response) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    return response.json()["error"]


# --------------------------------------------------------------- code exchange


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_a_confidential_client_exchanges_a_code_with_its_secret(client, rp, account, auth):
    response = flow.exchange(client, rp, flow.issue_code(rp, account), auth=auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid fullname"
    assert {"access_token", "refresh_token", "id_token", "expires_in"} <= set(body)
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_a_wrong_secret_is_invalid_client(client, rp, account, auth):
    rp_with_wrong_secret = flow.NewClient(rp.client_id, "not-the-secret", rp.application)
    code = flow.issue_code(rp, account)
    response = flow.exchange(client, rp_with_wrong_secret, code, auth=auth)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")
    # The code was not spent by the failed attempt.
    assert flow.exchange(client, rp, code, auth=auth).status_code == 200


def test_a_confidential_client_must_authenticate(client, rp, account):
    code = flow.issue_code(rp, account)
    assert flow.exchange(client, rp, code, auth="none").status_code == 401


def test_a_public_client_exchanges_with_pkce_and_no_secret(client, account):
    app = flow.make_client(public=True)
    response = flow.exchange(client, app, flow.issue_code(app, account), auth="none")
    assert response.status_code == 200, response.content
    assert response.json()["id_token"]


def test_a_public_client_cannot_leave_out_pkce(account):
    app = flow.make_client(public=True)
    with pytest.raises(OAuth2Error):
        flow.issue_code(app, account, pkce=False)


def test_a_confidential_client_may_leave_out_pkce(client, rp, account):
    code = flow.issue_code(rp, account, pkce=False)
    assert flow.exchange(client, rp, code).status_code == 200


def test_a_pkce_verifier_mismatch_is_invalid_grant_and_does_not_spend_the_code(client, rp, account):
    code = flow.issue_code(rp, account)
    response = flow.exchange(client, rp, code, code_verifier="x" * 50)
    assert error_of(response) == "invalid_grant"
    missing = flow.exchange(client, rp, code, code_verifier=None)
    assert error_of(missing) in ("invalid_grant", "invalid_request")
    assert flow.exchange(client, rp, code).status_code == 200


def test_a_code_verifier_for_a_code_issued_without_a_challenge_is_invalid_grant(
    client, rp, account
):
    # PKCE downgrade (RFC 9700 §2.1.1): the challenge was stripped from the authorization
    # request, while the client, which sent one, now presents its verifier.
    code = flow.issue_code(rp, account, pkce=False)
    response = flow.exchange(client, rp, code, code_verifier=secrets.token_urlsafe(48))
    assert error_of(response) == "invalid_grant"
    assert "access_token" not in response.json()


def test_the_redirect_uri_must_be_the_one_the_code_was_issued_for(client, rp, account):
    code = flow.issue_code(rp, account)
    response = flow.exchange(client, rp, code, redirect_uri="https://rp.example/other")
    assert error_of(response) == "invalid_grant"
    assert flow.exchange(client, rp, code).status_code == 200


def test_another_client_cannot_use_a_code(client, rp, account):
    other = flow.make_client(name="Другой сервис")
    code = flow.issue_code(rp, account)
    assert error_of(flow.exchange(client, other, code)) == "invalid_grant"
    assert flow.exchange(client, rp, code).status_code == 200


# ----------------------------------------------------------- single-use codes


def assert_revoked(client, rp, tokens):
    assert flow.introspect(client, rp, tokens["access_token"]).json() == {"active": False}
    assert flow.introspect(client, rp, tokens["refresh_token"]).json() == {"active": False}
    assert flow.userinfo(client, tokens["access_token"]).status_code == 401
    assert error_of(flow.refresh(client, rp, tokens["refresh_token"])) == "invalid_grant"


def test_a_code_used_twice_is_refused_and_every_token_from_it_is_revoked(client, rp, account):
    code = flow.issue_code(rp, account)
    first = flow.exchange(client, rp, code)
    assert first.status_code == 200
    tokens = first.json()
    assert flow.introspect(client, rp, tokens["access_token"]).json()["active"] is True

    assert error_of(flow.exchange(client, rp, code)) == "invalid_grant"
    assert_revoked(client, rp, tokens)
    event = AuditEvent.objects.get(action="oidc.code_replayed")
    assert event.subject_id == str(account.pk) and event.details["client"] == rp.client_id


def test_a_replayed_code_also_revokes_the_tokens_refreshed_since(client, rp, account):
    code = flow.issue_code(rp, account)
    tokens = flow.exchange(client, rp, code).json()
    refreshed = flow.refresh(client, rp, tokens["refresh_token"]).json()
    assert flow.userinfo(client, refreshed["access_token"]).status_code == 200

    assert error_of(flow.exchange(client, rp, code)) == "invalid_grant"
    assert_revoked(client, rp, refreshed)


def test_a_code_replayed_after_30_seconds_is_refused_too(client, rp, account):
    with time_machine.travel(START, tick=False) as clock:
        code = flow.issue_code(rp, account)
        tokens = flow.exchange(client, rp, code).json()
        clock.shift(30)
        assert error_of(flow.exchange(client, rp, code)) == "invalid_grant"
        assert_revoked(client, rp, tokens)


def test_a_code_lives_60_seconds(client, rp, account):
    with time_machine.travel(START, tick=False) as clock:
        in_time = flow.issue_code(rp, account)
        late = flow.issue_code(rp, account)
        clock.shift(59)
        assert flow.exchange(client, rp, in_time).status_code == 200
        clock.shift(2)
        assert error_of(flow.exchange(client, rp, late)) == "invalid_grant"


def test_the_code_is_stored_only_as_a_hash(rp, account):
    code = flow.issue_code(rp, account)
    context = AuthorizationContext.objects.get()
    assert code.code not in context.code_hash
    assert len(context.code_hash) == 64


def test_tokens_are_stored_only_as_checksums(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    assert AccessToken.objects.get().token == ""
    assert RefreshToken.objects.get().token == ""
    assert flow.userinfo(client, tokens["access_token"]).status_code == 200


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set EGISZ_IDP_DATABASE_URL)")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_exchanges_of_one_code_give_tokens_once(postgres_only, make_account):
    account = make_account()
    rp = flow.make_client()
    code = flow.issue_code(rp, account)
    attempts = 4
    start = threading.Barrier(attempts)
    results, errors = [], []

    def exchange():
        try:
            http = Client()
            start.wait()
            response = flow.exchange(http, rp, code)
            results.append((response.status_code, response.json()))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=exchange) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    succeeded = [body for status, body in results if status == 200]
    assert len(succeeded) == 1
    assert sorted(body["error"] for status, body in results if status != 200) == [
        "invalid_grant"
    ] * (attempts - 1)
    # The other attempts were replays: what the winner got is revoked.
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


# ------------------------------------------------------------------- ID token


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_the_id_token_is_signed_with_the_clients_algorithm_and_verifies_against_the_jwks(
    client, account, algorithm, settings
):
    rp = flow.make_client(algorithm=algorithm)
    with time_machine.travel(START, tick=False):
        tokens = flow.tokens_for(
            client,
            rp,
            account,
            nonce="n-0S6_WzA2Mj",
            auth_context={
                "auth_time": int(START.timestamp()) - 120,
                "amr": ["pwd", "otp"],
                "acr": "urn:egisz:loa:standard",
            },
        )
        token = flow.verify(client, tokens["id_token"], algorithms=[algorithm])
    assert token.header["alg"] == algorithm and token.header["kid"]
    claims = token.claims
    assert claims["iss"] == settings.OIDC_ISSUER
    assert claims["aud"] == rp.client_id and claims["azp"] == rp.client_id
    assert claims["sub"] == str(account.sub)
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["auth_time"] == int(START.timestamp()) - 120
    assert claims["acr"] == "urn:egisz:loa:standard"
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["iat"] == int(START.timestamp())
    assert claims["exp"] - claims["iat"] == settings.OAUTH2_PROVIDER["ID_TOKEN_EXPIRE_SECONDS"]
    assert claims["at_hash"]
    # The ID token carries no personal data unless asked for with `claims`.
    assert "family_name" not in claims and "snils" not in claims
    other = "ES256" if algorithm == "RS256" else "RS256"
    with pytest.raises(Exception):  # noqa: B017 (any refusal will do)
        flow.verify(client, tokens["id_token"], algorithms=[other])


def test_without_a_nonce_the_code_flow_still_works(client, rp, account):
    claims = flow.verify(client, flow.tokens_for(client, rp, account)["id_token"]).claims
    assert "nonce" not in claims


def test_without_a_login_context_the_id_token_falls_back_to_the_account(client, rp, account):
    account.last_login = START
    account.save(update_fields=["last_login"])
    tokens = flow.tokens_for(client, rp, account, auth_context={})
    claims = flow.verify(client, tokens["id_token"]).claims
    assert claims["auth_time"] == int(START.timestamp())
    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == "urn:egisz:loa:standard"


def test_claims_asked_for_in_the_id_token_are_released_only_within_granted_scopes(
    client, rp, account
):
    tokens = flow.tokens_for(
        client,
        rp,
        account,
        scope="openid fullname",
        claims={
            "id_token": {"family_name": {"essential": True}, "snils": {"essential": True}},
            "userinfo": {"snils": {"essential": True}},
        },
    )
    claims = flow.verify(client, tokens["id_token"]).claims
    assert claims["family_name"] == "Иванова"
    assert "snils" not in claims and "given_name" not in claims


def test_pairwise_subjects_are_stable_per_client_and_differ_between_clients(client, account):
    first = flow.make_client(name="A", pairwise=True, redirect_uri="https://a.example/cb")
    second = flow.make_client(name="B", pairwise=True, redirect_uri="https://b.example/cb")
    public = flow.make_client(name="C", redirect_uri="https://c.example/cb")

    def sub(rp, login=0):
        tokens = flow.tokens_for(client, rp, account, redirect_uri=rp.application.redirect_uris)
        id_sub = flow.verify(client, tokens["id_token"]).claims["sub"]
        assert flow.verify(client, tokens["access_token"]).claims["sub"] == id_sub
        assert flow.userinfo(client, tokens["access_token"]).json()["sub"] == id_sub
        return id_sub

    subs = {sub(first), sub(second), sub(public)}
    assert len(subs) == 3
    assert sub(public) == str(account.sub)
    assert sub(first) == sub(first) != str(account.sub)


# ---------------------------------------------------------- JWT access token


def test_the_access_token_is_an_rfc9068_jwt_verifiable_with_the_jwks(client, rp, account, settings):
    with time_machine.travel(START, tick=False):
        tokens = flow.tokens_for(client, rp, account, scope="openid fullname birthdate")
        token = flow.verify(client, tokens["access_token"], algorithms=["RS256"])
        assert access_tokens.verify(tokens["access_token"])["jti"] == token.claims["jti"]
    assert token.header["typ"] == "at+jwt" and token.header["alg"] == "RS256"
    claims = token.claims
    assert claims["iss"] == settings.OIDC_ISSUER
    assert claims["sub"] == str(account.sub)
    assert claims["aud"] == rp.client_id and claims["client_id"] == rp.client_id
    assert claims["scope"] == "openid fullname birthdate"
    assert claims["iat"] == int(START.timestamp())
    assert claims["exp"] - claims["iat"] == settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
    assert claims["jti"]
    assert claims["acr"] == flow.ACR_STANDARD and claims["amr"] == ["pwd", "sms"]
    assert "auth_time" in claims
    # Refresh tokens stay opaque.
    assert tokens["refresh_token"].count(".") == 0


def test_an_id_token_is_not_an_access_token(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    with pytest.raises(access_tokens.InvalidAccessToken):
        access_tokens.verify(tokens["id_token"])


# -------------------------------------------------------------------- refresh


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_grant(client, rp, account):
    first = flow.tokens_for(client, rp, account)
    response = flow.refresh(client, rp, first["refresh_token"])
    assert response.status_code == 200, response.content
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert flow.userinfo(client, first["access_token"]).status_code == 401
    assert flow.userinfo(client, second["access_token"]).status_code == 200

    # The old refresh token again: somebody copied it. The whole grant goes.
    assert error_of(flow.refresh(client, rp, first["refresh_token"])) == "invalid_grant"
    assert_revoked(client, rp, second)


def test_a_refreshed_id_token_keeps_the_original_login(client, rp, account):
    first = flow.tokens_for(client, rp, account, nonce="abc")
    original = flow.verify(client, first["id_token"]).claims
    second = flow.refresh(client, rp, first["refresh_token"]).json()
    renewed = flow.verify(client, second["id_token"]).claims
    for claim in ("sub", "auth_time", "acr", "amr", "aud"):
        assert renewed[claim] == original[claim]
    assert "nonce" not in renewed
    assert flow.verify(client, second["access_token"]).claims["auth_time"] == original["auth_time"]


def test_another_client_cannot_use_a_refresh_token(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    other = flow.make_client(name="Другой")
    assert error_of(flow.refresh(client, other, tokens["refresh_token"])) == "invalid_grant"


def test_a_deactivated_account_gets_no_tokens_for_its_code(client, rp, account):
    code = flow.issue_code(rp, account)
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert error_of(flow.exchange(client, rp, code)) == "invalid_grant"


def test_a_deactivated_account_cannot_refresh(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert error_of(flow.refresh(client, rp, tokens["refresh_token"])) == "invalid_grant"


# ----------------------------------------------------------------- revocation


def revoke(client, rp, token, **extra):
    return client.post(
        "/oidc/revoke/",
        {"token": token, **extra},
        HTTP_AUTHORIZATION=flow.basic_auth(rp.client_id, rp.client_secret),
    )


def test_a_client_revokes_its_access_token(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    response = revoke(client, rp, tokens["access_token"], token_type_hint="access_token")
    assert response.status_code == 200
    assert flow.userinfo(client, tokens["access_token"]).status_code == 401
    assert flow.introspect(client, rp, tokens["access_token"]).json() == {"active": False}


def test_a_client_revokes_its_refresh_token(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    assert revoke(client, rp, tokens["refresh_token"]).status_code == 200
    assert error_of(flow.refresh(client, rp, tokens["refresh_token"])) == "invalid_grant"


def test_a_client_cannot_revoke_another_clients_token(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    other = flow.make_client(name="Другой")
    assert revoke(client, other, tokens["access_token"]).status_code == 200
    assert flow.userinfo(client, tokens["access_token"]).status_code == 200
    assert flow.introspect(client, rp, tokens["access_token"]).json()["active"] is True


def test_revocation_needs_client_authentication(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    response = client.post(
        "/oidc/revoke/",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=flow.basic_auth(rp.client_id, "wrong"),
    )
    assert error_of(response) == "invalid_client"
    assert flow.userinfo(client, tokens["access_token"]).status_code == 200


def test_a_client_failing_basic_authentication_at_revocation_gets_a_basic_challenge(
    client, rp, account
):
    # RFC 6749 §5.2: the challenge names the scheme the client used, not Bearer.
    tokens = flow.tokens_for(client, rp, account)
    response = client.post(
        "/oidc/revoke/",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=flow.basic_auth(rp.client_id, "wrong"),
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert "Bearer" not in response["WWW-Authenticate"]


# -------------------------------------------------------------- introspection


def test_introspection_describes_the_clients_own_token_without_personal_data(client, account):
    rp = flow.make_client(pairwise=True)
    tokens = flow.tokens_for(client, rp, account, scope="openid fullname birthdate")
    response = flow.introspect(client, rp, tokens["access_token"])
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["active"] is True
    assert data["client_id"] == rp.client_id
    assert data["scope"] == "openid fullname birthdate"
    assert data["token_type"] == "Bearer"
    assert data["sub"] == flow.verify(client, tokens["id_token"]).claims["sub"] != str(account.sub)
    assert data["exp"] > data["iat"]
    text = response.content.decode()
    assert "username" not in data and account.phone not in text and "Иванова" not in text


def test_introspection_of_a_refresh_token(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    data = flow.introspect(client, rp, tokens["refresh_token"]).json()
    assert data["active"] is True and data["token_type"] == "refresh_token"
    assert data["sub"] == str(account.sub)


def test_a_client_introspecting_another_clients_token_learns_nothing(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    other = flow.make_client(name="Другой")
    assert flow.introspect(client, other, tokens["access_token"]).json() == {"active": False}
    assert flow.introspect(client, other, tokens["refresh_token"]).json() == {"active": False}


def test_an_expired_token_is_inactive(client, rp, account, settings):
    with time_machine.travel(START, tick=False) as clock:
        tokens = flow.tokens_for(client, rp, account)
        clock.shift(settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"])
        assert flow.introspect(client, rp, tokens["access_token"]).json() == {"active": False}


@pytest.mark.parametrize("token", ["garbage", "x" * 100_000, "eyJhbGciOiJub25lIn0.e30."])
def test_introspecting_garbage_says_inactive(client, rp, token):
    assert flow.introspect(client, rp, token).json() == {"active": False}


def test_only_an_authenticated_confidential_client_may_introspect(client, rp, account):
    tokens = flow.tokens_for(client, rp, account)
    anonymous = client.post("/oidc/introspect/", {"token": tokens["access_token"]})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    public = flow.make_client(name="Публичный", public=True)
    as_public = client.post(
        "/oidc/introspect/", {"token": tokens["access_token"], "client_id": public.client_id}
    )
    assert as_public.status_code == 401
    # A bearer token is not a way in either.
    with_bearer = client.post(
        "/oidc/introspect/",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
    )
    assert with_bearer.status_code == 401
    missing = client.post(
        "/oidc/introspect/", {}, HTTP_AUTHORIZATION=flow.basic_auth(rp.client_id, rp.client_secret)
    )
    assert error_of(missing) == "invalid_request"


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "data,error",
    [
        ({}, "invalid_request"),
        ({"grant_type": "password", "username": "x", "password": "y"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, "unsupported_grant_type"),
        ({"grant_type": "implicit"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "nope"}, "invalid_grant"),
        ({"grant_type": "authorization_code", "code": "a\x00b"}, "invalid_grant"),
        ({"grant_type": "authorization_code", "code": "c" * 100_000}, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "r" * 100_000}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
    ],
)
def test_bad_token_requests_get_the_rfc_error(client, rp, data, error):
    response = client.post(
        "/oidc/token/", data, HTTP_AUTHORIZATION=flow.basic_auth(rp.client_id, rp.client_secret)
    )
    assert error_of(response) == error


@pytest.mark.parametrize(
    "authorization",
    ["Basic !!!", "Basic " + "A" * 10_000, "Bearer x", "Basic", flow.basic_auth("a\x00b", "s")],
)
def test_garbage_client_credentials_are_invalid_client(client, rp, account, authorization):
    code = flow.issue_code(rp, account)
    response = client.post(
        "/oidc/token/",
        {"grant_type": "authorization_code", "code": code.code, "redirect_uri": code.redirect_uri},
        HTTP_AUTHORIZATION=authorization,
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_client", "invalid_request")


def test_the_token_endpoint_takes_only_post(client):
    assert client.get("/oidc/token/").status_code == 405
