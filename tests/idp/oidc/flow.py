"""Driving the OpenID Connect provider the way a relying party does.

Codes are issued through django-oauth-toolkit's own authorization path (oauthlib's
server with the project's validator), exactly what the authorization view calls once the
citizen has logged in and agreed; the token-side endpoints are then called over HTTP.
"""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet
from oauth2_provider.models import Application
from oauth2_provider.views.mixins import OAuthLibMixin

from egisz.idp.oidc.services import NewClient, create_client

REDIRECT_URI = "https://rp.example/callback"
LOGOUT_URI = "https://rp.example/bye"
ACR_STANDARD = "urn:egisz:loa:standard"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_client(
    *,
    name: str = "Запись к врачу",
    redirect_uri: str = REDIRECT_URI,
    scopes: str = "openid fullname birthdate",
    public: bool = False,
    pairwise: bool = False,
    algorithm: str = "RS256",
    post_logout_uris: tuple[str, ...] = (LOGOUT_URI,),
    always_refresh_tokens: bool = True,
    backchannel_logout_uri: str = "",
) -> NewClient:
    """A registered client. It gets a refresh token at every login unless told otherwise
    (the tests of offline_access itself), so that tests of refresh tokens need not ask
    for offline_access each time."""
    return create_client(
        name=name,
        redirect_uris=[redirect_uri],
        scopes=scopes.split(),
        public=public,
        pairwise=pairwise,
        always_refresh_tokens=always_refresh_tokens,
        id_token_algorithm=algorithm,
        post_logout_uris=list(post_logout_uris),
        backchannel_logout_uri=backchannel_logout_uri,
    )


def bare_application(client_id: str):
    """DOT's row of a confidential client alone, for migration tests that add the
    project's profile as the schema under test has it (no migration here changes DOT's
    table, so its current model will do)."""
    return Application.objects.create(
        client_id=client_id,
        name=client_id,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
    )


@dataclass
class Code:
    code: str
    verifier: str | None
    redirect_uri: str
    state: str


def issue_code(
    rp: NewClient,
    account,
    *,
    scope: str = "openid fullname",
    nonce: str | None = None,
    claims: dict | None = None,
    pkce: bool = True,
    auth_context: dict | None = None,
    redirect_uri: str = REDIRECT_URI,
) -> Code:
    """A code for ``account`` as the authorization endpoint would issue it."""
    verifier = secrets.token_urlsafe(48) if pkce else None
    state = secrets.token_urlsafe(8)
    params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
    }
    if nonce:
        params["nonce"] = nonce
    if claims is not None:
        params["claims"] = json.dumps(claims)
    if verifier:
        params.update(code_challenge=s256(verifier), code_challenge_method="S256")
    uri = "http://testserver/oidc/authorize/?" + urlencode(params)
    server = OAuthLibMixin.get_server()
    scopes, credentials = server.validate_authorization_request(uri, "GET", "", {})
    credentials.pop("request", None)
    credentials["user"] = account
    credentials["auth_context"] = (
        auth_context
        if auth_context is not None
        else {
            "auth_time": int(time.time()) - 5,
            "amr": ["pwd", "sms"],
            "acr": ACR_STANDARD,
            "session_key": "test-session",
        }
    )
    headers, _body, status = server.create_authorization_response(
        uri, "GET", "", {}, scopes=scopes, credentials=credentials
    )
    assert status == 302, (status, _body)
    query = parse_qs(urlsplit(headers["Location"]).query)
    assert query["state"] == [state]
    return Code(query["code"][0], verifier, redirect_uri, state)


def login_context(http, *, amr=("pwd", "sms")) -> dict:
    """How the browser ``http`` logged in, as the authorization endpoint passes it with a
    code: the code (and the tokens it is exchanged for) then belong to that IdP session."""
    return {
        "auth_time": int(time.time()) - 5,
        "amr": list(amr),
        "acr": ACR_STANDARD,
        "session_key": http.session.session_key,
    }


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def client_credentials(rp: NewClient, auth: str) -> tuple[dict, dict]:
    """(form fields, headers) authenticating ``rp`` with ``auth``: basic, post or none."""
    if auth == "basic":
        return {}, {"HTTP_AUTHORIZATION": basic_auth(rp.client_id, rp.client_secret)}
    if auth == "post":
        return {"client_id": rp.client_id, "client_secret": rp.client_secret}, {}
    return {"client_id": rp.client_id}, {}


def exchange(
    http,
    rp: NewClient,
    code: Code,
    *,
    auth: str = "basic",
    headers: dict | None = None,
    **overrides,
):
    """POST the code to the token endpoint (``headers``: more request headers, as
    Django's test client names them, e.g. HTTP_ORIGIN)."""
    fields, auth_headers = client_credentials(rp, auth)
    headers = {**auth_headers, **(headers or {})}
    data = {
        "grant_type": "authorization_code",
        "code": code.code,
        "redirect_uri": code.redirect_uri,
    }
    if code.verifier:
        data["code_verifier"] = code.verifier
    data.update(fields)
    data.update(overrides)
    data = {key: value for key, value in data.items() if value is not None}
    return http.post("/oidc/token/", data, **headers)


def refresh(http, rp: NewClient, refresh_token: str, *, auth: str = "basic"):
    fields, headers = client_credentials(rp, auth)
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **fields}
    return http.post("/oidc/token/", data, **headers)


def tokens_for(http, rp: NewClient, account, **code_options) -> dict:
    """Log ``account`` in at ``rp``: a code, then the exchange; the token response."""
    auth = "none" if rp.client_secret is None else "basic"
    response = exchange(http, rp, issue_code(rp, account, **code_options), auth=auth)
    assert response.status_code == 200, response.content
    return response.json()


def tokens_in_session(http, rp: NewClient, account, **code_options) -> dict:
    """Log ``account`` in at ``rp`` from the IdP session of the browser ``http``."""
    return tokens_for(http, rp, account, auth_context=login_context(http), **code_options)


def introspect(http, rp: NewClient, token: str, **extra):
    return http.post(
        "/oidc/introspect/",
        {"token": token, **extra},
        HTTP_AUTHORIZATION=basic_auth(rp.client_id, rp.client_secret),
    )


def userinfo(http, access_token: str):
    return http.get("/oidc/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def jwks(http) -> KeySet:
    return KeySet.import_key_set(http.get("/.well-known/jwks.json").json())


def verify(http, token: str, algorithms=("RS256", "ES256")):
    """Check a token the way a relying party does: against the published JWKS."""
    return jwt.decode(token, jwks(http), algorithms=list(algorithms))
