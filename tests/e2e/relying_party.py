"""A third-party relying party for the end-to-end tests, built only on authlib (an OpenID
Connect client library this project does not implement) and on what the provider publishes:
its discovery document and its JWKS. Nothing here imports the project's code.

The RP's redirect and post-logout URIs are on its own origin (`CallbackServer`, a small
HTTP server in the test process), which records the URLs the provider sent the browser to,
as an RP's callback view would see them.
"""

import base64
import json
import secrets
import threading
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc9068.claims import JWTAccessTokenClaims
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from authlib.oidc.rpinitiated import OpenIDProviderMetadata as LogoutMetadata

with warnings.catch_warnings():
    # authlib.jose is authlib's own JOSE implementation, kept until authlib 2.0; the RP uses
    # it on purpose, to check signatures with code independent of the provider's (joserfc).
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, JsonWebToken

# Clock skew the RP tolerates on exp/iat (the server and the RP share a clock here).
LEEWAY_SECONDS = 5
TIMEOUT = 15


def query_of(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


class CallbackServer:
    """The RP's own web origin: a small HTTP server on a free port of 127.0.0.1 that answers
    every GET with a short page and remembers the URLs it was asked for, as the RP's
    callback and post-logout views would see them. (Playwright's request interception does
    not see the targets of redirects, so the RP really listens.)"""

    def __init__(self):
        self.urls: list[str] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                catcher.urls.append(f"{catcher.origin}{self.path}")
                body = b"<!doctype html><title>Relying party</title><h1>Relying party</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def last(self, path: str) -> str:
        """The latest URL the browser requested at ``path`` of the RP."""
        for url in reversed(self.urls):
            if urlsplit(url).path == path:
                return url
        raise AssertionError(f"the browser never reached {self.origin}{path}: {self.urls}")


@dataclass
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass
class RelyingParty:
    """One registered client. ``client_secret`` None means a public client (PKCE only)."""

    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str
    scope: str
    post_logout_redirect_uri: str | None = None
    metadata: OpenIDProviderMetadata = field(init=False)
    session: OAuth2Session = field(init=False)
    _jwks: dict | None = field(init=False, default=None)

    def __post_init__(self):
        self.metadata = self.discover()
        self.session = OAuth2Session(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method=("client_secret_basic" if self.client_secret else "none"),
            scope=self.scope,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
        )
        self.session.metadata["token_endpoint"] = self.metadata["token_endpoint"]

    def discover(self) -> OpenIDProviderMetadata:
        """Reads and validates /.well-known/openid-configuration (OpenID Connect Discovery
        1.0 and RP-Initiated Logout 1.0 metadata, as authlib checks them)."""
        response = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
        response.raise_for_status()
        metadata = OpenIDProviderMetadata(response.json())
        metadata.validate(metadata_classes=[LogoutMetadata])
        # Discovery §4.3: the issuer in the document is exactly the one the RP asked.
        assert metadata["issuer"] == self.issuer, (metadata["issuer"], self.issuer)
        return metadata

    # Authorization ------------------------------------------------------------------------

    def authorization_request(self, **extra: str) -> AuthorizationRequest:
        """An authorization URL with state, nonce and a PKCE S256 challenge."""
        nonce = secrets.token_urlsafe(16)
        verifier = secrets.token_urlsafe(48)
        url, state = self.session.create_authorization_url(
            self.metadata["authorization_endpoint"],
            state=secrets.token_urlsafe(16),
            code_verifier=verifier,
            nonce=nonce,
            **extra,
        )
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def exchange(self, request: AuthorizationRequest, callback_url: str) -> dict:
        """Code → tokens at the token endpoint (checks the state of the callback first)."""
        return dict(
            self.session.fetch_token(
                self.metadata["token_endpoint"],
                authorization_response=callback_url,
                state=request.state,
                code_verifier=request.code_verifier,
                redirect_uri=self.redirect_uri,
            )
        )

    def refresh(self, refresh_token: str) -> dict:
        return dict(
            self.session.refresh_token(self.metadata["token_endpoint"], refresh_token=refresh_token)
        )

    def token_request(self, **form: str) -> requests.Response:
        """A raw token-endpoint request with this client's authentication, for errors."""
        auth = (self.client_id, self.client_secret) if self.client_secret else None
        if auth is None:
            form = {"client_id": self.client_id, **form}
        return requests.post(self.metadata["token_endpoint"], data=form, auth=auth, timeout=TIMEOUT)

    # ID token ----------------------------------------------------------------------------

    def jwks(self, *, refresh: bool = False) -> dict:
        if self._jwks is None or refresh:
            response = requests.get(self.metadata["jwks_uri"], timeout=TIMEOUT)
            response.raise_for_status()
            self._jwks = response.json()
        return self._jwks

    def validate_id_token(
        self, id_token: str, *, nonce: str | None, access_token: str | None, algorithm: str
    ) -> tuple[dict, dict]:
        """Checks the signature against the provider's JWKS with authlib.jose (fetching the
        set again once for an unknown kid, as RPs do after a key rotation), then iss, aud,
        exp, iat, nonce, azp and at_hash with authlib's ID-token rules. Returns (header,
        claims)."""
        kid = _unverified_header(id_token).get("kid")
        key_ids = {key.get("kid") for key in self.jwks()["keys"]}
        if kid not in key_ids:
            self.jwks(refresh=True)
        keys = JsonWebKey.import_key_set(self.jwks())
        # Only the algorithm this client was registered with: a token signed with another
        # one (or alg=none) is refused by authlib before any claim is read.
        decoded = JsonWebToken([algorithm]).decode(id_token, keys)
        header = dict(decoded.header)
        claims = CodeIDToken(
            dict(decoded),
            header,
            {
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "exp": {"essential": True},
                "iat": {"essential": True},
            },
            {"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
        )
        claims.validate(leeway=LEEWAY_SECONDS)
        return header, dict(claims)

    def validate_access_token(self, access_token: str) -> dict:
        """What a resource server does offline with a JWT access token (RFC 9068): the
        signature against the JWKS, typ at+jwt, iss, exp, and the client it was issued to.
        Returns the claims."""
        keys = JsonWebKey.import_key_set(self.jwks())
        decoded = JsonWebToken(self.metadata["id_token_signing_alg_values_supported"]).decode(
            access_token, keys
        )
        header = dict(decoded.header)
        assert header.get("typ", "").lower() in ("at+jwt", "application/at+jwt"), header
        claims = JWTAccessTokenClaims(
            dict(decoded),
            header,
            {
                "iss": {"essential": True, "value": self.issuer},
                "exp": {"essential": True},
                "sub": {"essential": True},
                "client_id": {"essential": True, "value": self.client_id},
            },
        )
        claims.validate(leeway=LEEWAY_SECONDS)
        return dict(claims)

    # UserInfo and logout ------------------------------------------------------------------

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(
            self.metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=TIMEOUT,
        )

    def logout_url(self, id_token: str, state: str) -> str:
        params = {"id_token_hint": id_token, "state": state}
        if self.post_logout_redirect_uri:
            params["post_logout_redirect_uri"] = self.post_logout_redirect_uri
        endpoint = self.metadata["end_session_endpoint"]
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def _unverified_header(token: str) -> dict:
    head = token.split(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
