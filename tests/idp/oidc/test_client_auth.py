"""private_key_jwt: client assertions built with joserfc, as a partner's library would."""

import base64
import json
import time
import uuid

import pytest
import time_machine
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from egisz.common.audit.models import AuditEvent
from egisz.idp.oidc import client_auth
from egisz.idp.oidc.models import ClientAuthMethod, UsedClientAssertion
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db

TOKEN_URL = "http://127.0.0.1:8000/oidc/token/"
ISSUER = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def _issuer(settings):
    settings.OIDC_ISSUER = ISSUER


@pytest.fixture
def rsa_key():
    return RSAKey.generate_key(2048, parameters={"kid": "partner-rsa-1"}, private=True)


@pytest.fixture
def ec_key():
    return ECKey.generate_key("P-256", parameters={"kid": "partner-ec-1"}, private=True)


@pytest.fixture
def rp(rsa_key, ec_key):
    rp = flow.make_client()
    client_auth.use_private_key_jwt(
        application=rp.application,
        jwks={"keys": [rsa_key.as_dict(private=False), ec_key.as_dict(private=False)]},
    )
    return rp


@pytest.fixture
def account(make_account):
    return make_account()


def assertion(key, client_id, *, alg="RS256", header=None, **overrides):
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": alg, "kid": key.kid, **(header or {})}, claims, key, algorithms=[alg])


def exchange_with(client, rp, account, client_assertion, **extra):
    code = flow.issue_code(rp, account)
    data = {
        "grant_type": "authorization_code",
        "code": code.code,
        "redirect_uri": code.redirect_uri,
        "code_verifier": code.verifier,
        "client_assertion_type": client_auth.ASSERTION_TYPE,
        "client_assertion": client_assertion,
        **extra,
    }
    return client.post("/oidc/token/", {k: v for k, v in data.items() if v is not None})


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_client_authenticates_with_a_signed_assertion(client, rp, account, rsa_key, ec_key, alg):
    key = rsa_key if alg == "RS256" else ec_key
    response = exchange_with(client, rp, account, assertion(key, rp.client_id, alg=alg))
    assert response.status_code == 200, response.content
    assert response.json()["id_token"]


@pytest.mark.parametrize("aud", [ISSUER, TOKEN_URL, [TOKEN_URL, "https://other.example"]])
def test_the_audience_may_be_the_issuer_or_the_token_endpoint(client, rp, account, rsa_key, aud):
    response = exchange_with(
        client, rp, account, assertion(rsa_key, rp.client_id, aud=aud), client_id=rp.client_id
    )
    assert response.status_code == 200, response.content


def test_an_assertion_without_kid_is_matched_by_key_type(client, account):
    key = RSAKey.generate_key(2048, private=True)
    rp = flow.make_client()
    client_auth.use_private_key_jwt(
        application=rp.application, jwks={"keys": [key.as_dict(private=False)]}
    )
    now = int(time.time())
    token = jwt.encode(
        {"alg": "RS256"},
        {"iss": rp.client_id, "sub": rp.client_id, "aud": TOKEN_URL, "exp": now + 60, "jti": "a"},
        key,
        algorithms=["RS256"],
    )
    assert exchange_with(client, rp, account, token).status_code == 200


@pytest.fixture
def reasons(caplog):
    """Why assertions were refused (the log line; the client only sees invalid_client)."""
    caplog.set_level("INFO", logger="egisz.idp.oidc.validators")
    return lambda: " | ".join(r.getMessage() for r in caplog.records if "refused" in r.getMessage())


def refused(response) -> bool:
    return response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_alg_none_is_refused(client, rp, account, reasons):
    now = int(time.time())
    claims = {"iss": rp.client_id, "sub": rp.client_id, "aud": TOKEN_URL, "exp": now + 60}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({**claims, 'jti': 'n'})}."
    assert refused(exchange_with(client, rp, account, unsigned))
    assert "algorithm 'none' not allowed" in reasons()


def test_an_hmac_assertion_is_refused(client, rp, account, reasons):
    key = OctKey.generate_key(256, parameters={"kid": "partner-rsa-1"})
    token = assertion(key, rp.client_id, alg="HS256")
    assert refused(exchange_with(client, rp, account, token))
    assert "algorithm 'HS256' not allowed" in reasons()


def test_a_key_the_client_did_not_register_is_refused(client, rp, account, reasons):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "partner-rsa-1"}, private=True)
    assert refused(exchange_with(client, rp, account, assertion(stranger, rp.client_id)))
    assert "signature does not verify" in reasons()


def test_an_assertion_signed_by_another_clients_key_is_refused(client, rp, account, reasons):
    other_key = RSAKey.generate_key(2048, parameters={"kid": "other-1"}, private=True)
    other = flow.make_client(name="Другой")
    client_auth.use_private_key_jwt(
        application=other.application, jwks={"keys": [other_key.as_dict(private=False)]}
    )
    # Signed by the other client, claiming to be rp.
    assert refused(exchange_with(client, rp, account, assertion(other_key, rp.client_id)))
    assert "signature does not verify" in reasons()


@pytest.mark.parametrize(
    "overrides,reason",
    [
        pytest.param({"exp": -120}, "expired", id="expired"),
        pytest.param({"exp": None}, "Missing claim: 'exp'", id="no-exp"),
        pytest.param({"nbf": 600, "exp": 660}, "not yet valid", id="nbf"),
        pytest.param({"iat": 600, "exp": 660}, "issued in the future", id="iat"),
        pytest.param({"exp": 900}, "lives too long", id="lives-too-long"),
        pytest.param({"aud": "https://elsewhere.example/token"}, "'aud'", id="wrong-aud"),
        pytest.param({"aud": None}, "Missing claim: 'aud'", id="no-aud"),
        pytest.param({"iss": "someone-else"}, "iss and sub", id="iss-not-sub"),
        pytest.param({"sub": "someone-else"}, "iss and sub", id="sub-not-iss"),
        pytest.param({"jti": None}, "Missing claim: 'jti'", id="no-jti"),
    ],
)
def test_assertions_with_bad_claims_are_refused(
    client, rp, account, rsa_key, reasons, overrides, reason
):
    now = int(time.time())
    times = {"exp", "nbf", "iat"}
    claims = {
        name: (now + value if name in times and value is not None else value)
        for name, value in overrides.items()
    }
    token = assertion(rsa_key, rp.client_id, **claims)
    assert refused(exchange_with(client, rp, account, token))
    assert reason in reasons()


def test_an_assertion_is_accepted_once(client, rp, account, rsa_key, reasons):
    token = assertion(rsa_key, rp.client_id)
    assert exchange_with(client, rp, account, token).status_code == 200
    assert refused(exchange_with(client, rp, account, token))
    assert "jti already used" in reasons()
    assert UsedClientAssertion.objects.count() == 1


def test_used_assertions_are_forgotten_once_expired(client, rp, account, rsa_key):
    exchange_with(client, rp, account, assertion(rsa_key, rp.client_id))
    with time_machine.travel(time.time() + 3600, tick=False):
        exchange_with(client, rp, account, assertion(rsa_key, rp.client_id))
    assert UsedClientAssertion.objects.count() == 1


@pytest.mark.parametrize(
    "assertion_type,value",
    [
        ("urn:ietf:params:oauth:client-assertion-type:saml2-bearer", None),
        (client_auth.ASSERTION_TYPE, "not-a-jwt"),
        (client_auth.ASSERTION_TYPE, "a.b.c"),
        (client_auth.ASSERTION_TYPE, "eyJ" + "A" * 20_000 + ".e30.x"),
        (client_auth.ASSERTION_TYPE, "ЖЖЖ.ЖЖЖ.ЖЖЖ"),
        (client_auth.ASSERTION_TYPE, ""),
    ],
)
def test_garbage_assertions_are_refused(client, rp, account, rsa_key, assertion_type, value):
    code = flow.issue_code(rp, account)
    response = client.post(
        "/oidc/token/",
        {
            "grant_type": "authorization_code",
            "code": code.code,
            "redirect_uri": code.redirect_uri,
            "code_verifier": code.verifier,
            "client_assertion_type": assertion_type,
            "client_assertion": value if value is not None else assertion(rsa_key, rp.client_id),
        },
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_client", "invalid_request")


def test_the_client_id_parameter_must_match_the_assertion(client, rp, account, rsa_key):
    other = flow.make_client(name="Другой")
    token = assertion(rsa_key, rp.client_id)
    assert refused(exchange_with(client, rp, account, token, client_id=other.client_id))


def test_an_assertion_and_a_secret_together_are_refused(client, rp, account, rsa_key):
    token = assertion(rsa_key, rp.client_id)
    response = exchange_with(client, rp, account, token, client_secret=rp.client_secret)
    assert refused(response)


def test_a_private_key_jwt_client_can_no_longer_use_its_secret(client, rp, account):
    code = flow.issue_code(rp, account)
    assert flow.exchange(client, rp, code, auth="basic").status_code == 401
    assert flow.exchange(client, rp, code, auth="post").status_code == 401


def test_a_secret_client_cannot_use_an_assertion(client, account, rsa_key, reasons):
    rp = flow.make_client(name="С секретом")
    assert refused(exchange_with(client, rp, account, assertion(rsa_key, rp.client_id)))
    assert "not registered for private_key_jwt" in reasons()


def test_private_key_jwt_works_for_refresh_introspection_and_revocation(
    client, rp, account, rsa_key
):
    tokens = exchange_with(client, rp, account, assertion(rsa_key, rp.client_id)).json()
    refreshed = client.post(
        "/oidc/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_assertion_type": client_auth.ASSERTION_TYPE,
            "client_assertion": assertion(rsa_key, rp.client_id),
        },
    )
    assert refreshed.status_code == 200, refreshed.content
    introspected = client.post(
        "/oidc/introspect/",
        {
            "token": refreshed.json()["access_token"],
            "client_assertion_type": client_auth.ASSERTION_TYPE,
            "client_assertion": assertion(
                rsa_key, rp.client_id, aud="http://127.0.0.1:8000/oidc/introspect/"
            ),
        },
    )
    assert introspected.json()["active"] is True
    revoked = client.post(
        "/oidc/revoke/",
        {
            "token": refreshed.json()["refresh_token"],
            "client_assertion_type": client_auth.ASSERTION_TYPE,
            "client_assertion": assertion(
                rsa_key, rp.client_id, aud="http://127.0.0.1:8000/oidc/revoke/"
            ),
        },
    )
    assert revoked.status_code == 200
    assert flow.userinfo(client, refreshed.json()["access_token"]).status_code == 401


def test_registering_keys_is_audited_and_switches_the_method(rp):
    profile = rp.application.profile
    profile.refresh_from_db()
    assert profile.token_endpoint_auth_method == ClientAuthMethod.PRIVATE_KEY_JWT
    assert {key["kid"] for key in profile.jwks["keys"]} == {"partner-rsa-1", "partner-ec-1"}
    assert AuditEvent.objects.filter(action="oidc.client_keys_set").exists()


@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")
@pytest.mark.parametrize(
    "jwks,message",
    [
        (
            lambda: {"keys": [RSAKey.generate_key(2048, private=True).as_dict(private=True)]},
            "public keys only",
        ),
        (lambda: {"keys": [OctKey.generate_key(256).as_dict()]}, "public keys only"),
        (
            lambda: {"keys": [RSAKey.generate_key(1024, private=True).as_dict(private=False)]},
            "at least 2048",
        ),
        (
            lambda: {"keys": [ECKey.generate_key("P-384", private=True).as_dict(private=False)]},
            "P-256",
        ),
        (lambda: {"keys": []}, "1 to"),
        (lambda: "not json", "not JSON"),
        (lambda: {"nokeys": 1}, "keys"),
    ],
)
def test_unsuitable_client_keys_are_refused(rp, jwks, message):
    with pytest.raises(client_auth.ClientKeysError, match=message):
        client_auth.public_client_keys(jwks())


def test_a_public_client_gets_no_keys(rsa_key):
    app = flow.make_client(public=True)
    with pytest.raises(client_auth.ClientKeysError):
        client_auth.use_private_key_jwt(
            application=app.application, jwks={"keys": [rsa_key.as_dict(private=False)]}
        )
