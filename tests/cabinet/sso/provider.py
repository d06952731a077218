"""A small but real OpenID Connect provider for the cabinet's login tests.

An HTTP server in a thread (127.0.0.1, a free port) serving discovery, the JWKS (an RS256
key made with joserfc), the token endpoint (client_secret_basic, single-use codes, PKCE
S256, refresh tokens rotated on use), UserInfo (Bearer) and an end-session address. There
is no /authorize page: a test reads the authorization URL the cabinet redirected to and
calls ``approve(url)``, which records the code as the provider would and returns the
callback address (``deny(url)`` returns the one of a refused consent).

Each test programs it: the claims and `acr`, a ``tamper`` of the next ID token (other
issuer, other audience, wrong azp, expired, not yet valid, wrong nonce, bad signature,
unknown key, no nonce), ``revoke()`` the grant, ``offline`` (connections are dropped),
``token_error`` (the token endpoint refuses), ``rotate_key()``.

Its sessions: ``approve(url, sid=...)`` puts that session id into the ID tokens of the
login (none by default, as a provider without back-channel logout), and ``logout_token()``
mints the back-channel logout token it would POST to the cabinet — or a bad one, with
``tamper`` (see LOGOUT_TAMPERING).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

CONFIRMED = "urn:egisz:loa:confirmed"
STANDARD = "urn:egisz:loa:standard"
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

# What ``logout_token(tamper=...)`` can spoil, on top of the ID token's signature tampering
# ("signature", "unknown_key", "stranger_key_same_kid", "alg_none").
LOGOUT_TAMPERING = (
    "issuer",
    "audience",
    "no_events",
    "other_event",
    "events_not_object",
    "nonce",
    "no_sid_no_sub",
    "expired",
    "iat_future",
    "no_exp",
    "no_iat",
    "no_jti",
    "typ_jwt",
    "hs256",
)


def query_of(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


_KEYS: dict[str, RSAKey] = {}


def _shared_key(kid: str) -> RSAKey:
    """Keys are slow to make: the fixed ones are made once per test run."""
    if kid not in _KEYS:
        _KEYS[kid] = _new_key(kid)
    return _KEYS[kid]


@dataclass
class Grant:
    sub: str
    sid: str | None = None
    revoked: bool = False


@dataclass
class Provider:
    client_id: str = "egisz-cabinet"
    client_secret: str = "test-cabinet-secret"
    redirect_uri: str = "http://testserver/sso/callback/"
    sub: str = "subject-maria"
    acr: str = CONFIRMED
    claims: dict = field(
        default_factory=lambda: {
            "family_name": "Смирнова",
            "given_name": "Анна",
            "middle_name": "Викторовна",
            "birthdate": "1990-03-15",
            "snils": "112-233-445 95",
            "inn": "500100732259",
            "phone_number": "+79161234567",
            "email": "anna@example.org",
            "email_verified": True,
        }
    )
    tamper: str | None = None
    offline: bool = False
    token_error: str | None = None
    token_status: int = 400
    access_token_lifetime: int = 600
    publish_end_session: bool = True
    userinfo_sub: str | None = None  # a broken provider answering about someone else

    def __post_init__(self):
        self.key = _shared_key("key-1")
        self.stranger_key = _shared_key("key-stranger")  # never published
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, str] = {}  # token -> grant id (live ones only)
        self.grants: dict[str, Grant] = {}
        self.log: list[tuple[str, str]] = []  # (method, path) of every request answered
        self.token_requests: list[dict] = []
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                provider._handle(self, "GET")

            def do_POST(self):
                provider._handle(self, "POST")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # What a test does -----------------------------------------------------------------------

    def approve(
        self, authorization_url: str, *, sub: str | None = None, sid: str | None = None
    ) -> str:
        """The citizen logs in and consents: the callback path (with code and state) the
        provider would send the browser to. ``sid`` names the provider's session in the
        ID tokens of this login."""
        query = query_of(authorization_url)
        assert query["client_id"] == self.client_id, query
        assert query["redirect_uri"] == self.redirect_uri, query
        assert query["response_type"] == "code", query
        assert query["code_challenge_method"] == "S256", query
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "challenge": query["code_challenge"],
            "nonce": query.get("nonce"),
            "redirect_uri": query["redirect_uri"],
            "sub": sub or self.sub,
            "sid": sid,
        }
        return self._callback({"code": code, "state": query["state"]})

    def deny(self, authorization_url: str) -> str:
        """The citizen refuses consent."""
        query = query_of(authorization_url)
        return self._callback({"error": "access_denied", "state": query["state"]})

    def revoke(self) -> None:
        """The citizen withdraws consent at the provider: every token of the grant dies."""
        with self._lock:
            for grant in self.grants.values():
                grant.revoked = True

    def expire_access_tokens(self) -> None:
        with self._lock:
            for data in self.access_tokens.values():
                data["exp"] = 0

    def rotate_key(self) -> None:
        self.key = _new_key(f"key-{secrets.token_hex(4)}")

    def logout_token(
        self,
        *,
        sub: str | None = None,
        sid: str | None = None,
        jti: str | None = None,
        tamper: str | None = None,
    ) -> str:
        """The back-channel logout token the provider would POST (as logout_token) when
        the session ``sid`` or every session of ``sub`` ends; spoiled by ``tamper``."""
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 120,
            "jti": jti or secrets.token_urlsafe(16),
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        if sub is not None:
            claims["sub"] = sub
        if sid is not None:
            claims["sid"] = sid
        header = {"typ": "logout+jwt"}
        if tamper == "issuer":
            claims["iss"] = "https://other-idp.example"
        elif tamper == "audience":
            claims["aud"] = "another-client"
        elif tamper == "no_events":
            claims.pop("events")
        elif tamper == "other_event":
            claims["events"] = {"http://schemas.openid.net/event/other": {}}
        elif tamper == "events_not_object":
            claims["events"] = [BACKCHANNEL_LOGOUT_EVENT]
        elif tamper == "nonce":
            claims["nonce"] = "a-nonce"
        elif tamper == "no_sid_no_sub":
            claims.pop("sub", None)
            claims.pop("sid", None)
        elif tamper == "expired":
            claims["iat"], claims["exp"] = now - 600, now - 300
        elif tamper == "iat_future":
            claims["iat"], claims["exp"] = now + 3600, now + 3720
        elif tamper in ("no_exp", "no_iat", "no_jti"):
            claims.pop(tamper.removeprefix("no_"))
        elif tamper == "typ_jwt":
            header["typ"] = "JWT"
        if tamper == "hs256":
            secret = OctKey.import_key(self.client_secret.encode())
            return jwt.encode({"alg": "HS256", **header}, claims, secret)
        return self._sign(claims, tamper=tamper, header=header)

    def calls(self, path: str) -> int:
        return sum(1 for _method, logged in self.log if logged == path)

    def token_grant_types(self) -> list[str]:
        return [request.get("grant_type", "") for request in self.token_requests]

    # The server ------------------------------------------------------------------------------

    def _callback(self, params: dict) -> str:
        return f"{urlsplit(self.redirect_uri).path}?{urlencode(params)}"

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        if self.offline:
            handler.close_connection = True
            handler.connection.shutdown(2)  # the provider is down: no answer at all
            return
        path = urlsplit(handler.path).path
        self.log.append((method, path))
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/jwks"): self._jwks,
            ("POST", "/token"): self._token,
            ("GET", "/userinfo"): self._userinfo,
        }
        route = routes.get((method, path))
        if route is None:
            self._send(handler, 404, {"error": "not_found"})
            return
        route(handler)

    def _send(self, handler, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _discovery(self, handler) -> None:
        metadata = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "acr_values_supported": [
                "urn:egisz:loa:simplified",
                STANDARD,
                CONFIRMED,
            ],
        }
        if self.publish_end_session:
            metadata["end_session_endpoint"] = f"{self.url}/logout"
        self._send(handler, 200, metadata)

    def _jwks(self, handler) -> None:
        self._send(handler, 200, {"keys": [self.key.as_dict(private=False)]})

    def _client_authenticated(self, handler) -> bool:
        scheme, _, value = handler.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)

    def _token(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        self.token_requests.append(form)
        if not self._client_authenticated(handler):
            self._send(handler, 401, {"error": "invalid_client"})
            return
        if self.token_error:
            self._send(handler, self.token_status, {"error": self.token_error})
            return
        with self._lock:
            if form.get("grant_type") == "authorization_code":
                self._code_grant(handler, form)
            elif form.get("grant_type") == "refresh_token":
                self._refresh_grant(handler, form)
            else:
                self._send(handler, 400, {"error": "unsupported_grant_type"})

    def _code_grant(self, handler, form: dict) -> None:
        code = self.codes.pop(form.get("code", ""), None)  # single use
        if (
            code is None
            or form.get("redirect_uri") != code["redirect_uri"]
            or _s256(form.get("code_verifier", "")) != code["challenge"]
        ):
            self._send(handler, 400, {"error": "invalid_grant"})
            return
        grant_id = secrets.token_hex(8)
        self.grants[grant_id] = Grant(sub=code["sub"], sid=code["sid"])
        self._send(handler, 200, self._issue(grant_id, nonce=code["nonce"]))

    def _refresh_grant(self, handler, form: dict) -> None:
        grant_id = self.refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotation
        if grant_id is None or self.grants[grant_id].revoked:
            self._send(handler, 400, {"error": "invalid_grant"})
            return
        self._send(handler, 200, self._issue(grant_id, nonce=None))

    def _issue(self, grant_id: str, *, nonce: str | None) -> dict:
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        now = int(time.time())
        self.access_tokens[access] = {"grant": grant_id, "exp": now + self.access_token_lifetime}
        self.refresh_tokens[refresh] = grant_id
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "refresh_token": refresh,
            "scope": "openid fullname birthdate snils inn mobile email",
            "id_token": self._id_token(self.grants[grant_id], nonce=nonce, now=now),
        }

    def _id_token(self, grant: Grant, *, nonce: str | None, now: int) -> str:
        claims = {
            "iss": self.url,
            "sub": grant.sub,
            "aud": self.client_id,
            "exp": now + 600,
            "iat": now,
            "auth_time": now,
            "acr": self.acr,
            "amr": ["pwd", "otp"],
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if grant.sid is not None:
            claims["sid"] = grant.sid
        tamper = self.tamper
        if tamper == "issuer":
            claims["iss"] = "https://other-idp.example"
        elif tamper == "audience":
            claims["aud"] = "another-client"
        elif tamper == "azp":
            claims["aud"] = [self.client_id, "another-client"]
            claims["azp"] = "another-client"
        elif tamper == "expired":
            claims["iat"] = now - 3600
            claims["exp"] = now - 1800
        elif tamper == "not_yet_valid":
            claims["iat"] = now + 3600
            claims["nbf"] = now + 3600
            claims["exp"] = now + 7200
        elif tamper == "nonce":
            claims["nonce"] = "a-nonce-from-another-login"
        elif tamper == "no_nonce":
            claims.pop("nonce", None)
        return self._sign(claims, tamper=tamper)

    def _sign(self, claims: dict, *, tamper: str | None, header: dict | None = None) -> str:
        """``claims`` signed with the published key, or spoiled the way ``tamper`` says."""
        key = self.stranger_key if tamper == "unknown_key" else self.key
        header = {**(header or {}), "alg": "RS256", "kid": key.kid}
        if tamper == "stranger_key_same_kid":
            key, header = self.stranger_key, {**header, "kid": self.key.kid}
        token = jwt.encode(header, claims, key)
        if tamper == "signature":
            head, body, signature = token.split(".")
            forged = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            forged["sub"] = "somebody-else"
            token = f"{head}.{_b64(forged)}.{signature}"
        if tamper == "alg_none":
            head = _b64({"alg": "none", "typ": "JWT"})
            token = f"{head}.{_b64(claims)}."
        return token

    def _userinfo(self, handler) -> None:
        scheme, _, token = handler.headers.get("Authorization", "").partition(" ")
        with self._lock:
            data = self.access_tokens.get(token) if scheme.lower() == "bearer" else None
            valid = (
                data is not None
                and data["exp"] > time.time()
                and not self.grants[data["grant"]].revoked
            )
        if not valid:
            self._send(
                handler,
                401,
                {"error": "invalid_token"},
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            return
        sub = self.userinfo_sub or self.grants[data["grant"]].sub
        self._send(handler, 200, {"sub": sub, **self.claims})
