"""Provider metadata: what a generic relying party reads before anything else."""

from urllib.parse import urlsplit

import pytest

from egisz.idp.oidc.claims import SCOPES

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
    assert metadata["token_endpoint_auth_methods_supported"] == methods
    assert metadata["token_endpoint_auth_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert metadata["introspection_endpoint_auth_methods_supported"] == methods
    assert metadata["revocation_endpoint_auth_methods_supported"] == methods


def test_scopes_claims_and_levels(metadata):
    assert metadata["scopes_supported"] == list(SCOPES)
    assert {"openid", "fullname", "snils", "profile", "email", "phone", "address"} <= set(
        metadata["scopes_supported"]
    )
    claims = set(metadata["claims_supported"])
    assert {"sub", "auth_time", "acr", "amr", "family_name", "snils", "birthdate"} <= claims
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
