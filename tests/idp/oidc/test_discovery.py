"""Provider metadata: what a generic relying party reads before anything else."""

from urllib.parse import urlsplit

import pytest

from egisz.idp.oidc.claims import SCOPES
from egisz.idp.oidc.services import ClientError
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def metadata(client):
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def test_the_issuer_and_every_endpoint_are_absolute_from_the_issuer(metadata, settings):
    issuer = settings.OIDC_ISSUER
    assert metadata["issuer"] == issuer
    endpoints = {
        "authorization_endpoint": "/oidc/authorize/",
        "token_endpoint": "/oidc/token/",
        "userinfo_endpoint": "/oidc/userinfo/",
        "jwks_uri": "/.well-known/jwks.json",
        "end_session_endpoint": "/oidc/logout/",
        "revocation_endpoint": "/oidc/revoke/",
        "introspection_endpoint": "/oidc/introspect/",
    }
    for name, path in endpoints.items():
        assert metadata[name] == issuer + path, name


def test_the_endpoints_answer_where_discovery_says(client, metadata):
    def path(name):
        return urlsplit(metadata[name]).path

    assert client.get(path("jwks_uri")).status_code == 200
    assert client.post(path("token_endpoint")).status_code == 400
    assert client.get(path("userinfo_endpoint")).status_code == 401
    assert client.post(path("revocation_endpoint")).status_code in (400, 401)
    assert client.post(path("introspection_endpoint")).status_code == 401
    assert client.get(path("end_session_endpoint")).status_code in (200, 302)


def test_a_public_issuer_changes_every_address(client, settings):
    settings.OIDC_ISSUER = "https://esia.example.gov"
    metadata = client.get("/.well-known/openid-configuration").json()
    assert metadata["issuer"] == "https://esia.example.gov"
    assert metadata["token_endpoint"] == "https://esia.example.gov/oidc/token/"
    assert metadata["jwks_uri"] == "https://esia.example.gov/.well-known/jwks.json"


def test_the_code_flow_only(metadata):
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["subject_types_supported"] == ["public", "pairwise"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert "none" not in metadata["id_token_signing_alg_values_supported"]


def test_client_authentication_methods(metadata):
    methods = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
    # Public clients authenticate with nothing but their client_id ("none") at the token
    # and revocation endpoints; introspection is for confidential clients only.
    assert metadata["token_endpoint_auth_methods_supported"] == [*methods, "none"]
    assert metadata["token_endpoint_auth_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert metadata["introspection_endpoint_auth_methods_supported"] == methods
    assert metadata["revocation_endpoint_auth_methods_supported"] == [*methods, "none"]


def test_a_public_client_revokes_its_token_with_the_advertised_none_method(
    client, metadata, make_account
):
    app = flow.make_client(public=True)
    account = make_account()
    tokens = flow.tokens_for(client, app, account)
    response = client.post(
        urlsplit(metadata["revocation_endpoint"]).path,
        {"token": tokens["access_token"], "client_id": app.client_id},
    )
    assert response.status_code == 200
    assert flow.userinfo(client, tokens["access_token"]).status_code == 401


def test_scopes_claims_and_levels(metadata):
    assert metadata["scopes_supported"] == list(SCOPES)
    assert {"openid", "fullname", "snils", "profile", "email", "phone", "offline_access"} <= set(
        metadata["scopes_supported"]
    )
    claims = set(metadata["claims_supported"])
    assert {"sub", "auth_time", "acr", "amr", "family_name", "snils", "birthdate"} <= claims


def test_no_scope_is_advertised_for_data_the_idp_does_not_collect(client, metadata):
    # Neither gender nor addresses are collected: no scope promises them.
    assert not {"gender", "addresses", "address"} & set(metadata["scopes_supported"])
    # Every advertised scope but openid and offline_access releases some claim.
    for name in set(metadata["scopes_supported"]) - {"openid", "offline_access"}:
        assert SCOPES[name].claim_names, name
    with pytest.raises(ClientError, match="gender"):
        flow.make_client(scopes="openid fullname gender")


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_uncollected_scopes_from_registered_clients(migrate_oidc):
    old = migrate_oidc("0004_one_current_signing_key").get_model("oidc", "ClientProfile")
    application = flow.bare_application("partner")
    old.objects.create(
        application_id=application.pk,
        allowed_scopes="openid fullname gender addresses address email",
    )
    new = migrate_oidc("0005_drop_uncollected_scopes").get_model("oidc", "ClientProfile")
    profile = new.objects.get(application_id=application.pk)
    assert profile.allowed_scopes == "openid fullname email"


def test_the_standard_id_token_claims_are_listed(client, metadata, make_account):
    claims = set(metadata["claims_supported"])
    standard = {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp"}
    assert standard <= claims
    # And every claim an issued ID token carries.
    tokens = flow.tokens_for(client, flow.make_client(), make_account(), nonce="n-1")
    issued = flow.verify(client, tokens["id_token"]).claims
    assert set(issued) <= claims, set(issued) - claims


def test_authorization_responses_name_the_issuer(metadata):
    assert metadata["authorization_response_iss_parameter_supported"] is True


def test_the_user_agreement_is_linked_as_policy_and_terms(client, metadata, settings):
    for name in ("op_tos_uri", "op_policy_uri"):
        url = metadata[name]
        assert url.startswith(settings.OIDC_ISSUER + "/"), url
        page = client.get(urlsplit(url).path)
        assert page.status_code == 200
        assert "Пользовательское соглашение" in page.content.decode()
    assert urlsplit(metadata["op_policy_uri"]).fragment == "consent"
    assert metadata["acr_values_supported"] == [
        "urn:egisz:loa:simplified",
        "urn:egisz:loa:standard",
        "urn:egisz:loa:confirmed",
    ]


def test_request_features(metadata):
    assert metadata["claims_parameter_supported"] is True
    assert metadata["request_parameter_supported"] is False
    assert metadata["request_uri_parameter_supported"] is False
    assert metadata["ui_locales_supported"] == ["ru", "en"]
    assert {"none", "login", "consent"} <= set(metadata["prompt_values_supported"])


def test_discovery_is_read_only(client):
    assert client.post("/.well-known/openid-configuration").status_code == 405
    assert client.post("/.well-known/jwks.json").status_code == 405


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/.well-known/jwks.json"])
def test_head_on_discovery_and_the_jwks_answers_like_get_without_a_body(client, path):
    # RFC 9110 §9.3.2: a server that answers GET answers HEAD.
    response = client.head(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.content == b""
