"""The cabinet's side of OpenID Connect: everything that talks to the provider.

The protocol work is authlib's (authorization URL with PKCE S256, the code and refresh
exchanges with client_secret_basic, the ID-token claim rules) and joserfc's (signatures);
this module adds the policy around them: what is cached (the discovery document and the
JWKS, in Django's cache so every process shares them), how long the provider may take,
which failures mean «the provider is down» and which mean «the answer is not to be trusted».

Nothing here touches the request or the session; views and middleware do.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.core.cache import cache
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from requests.adapters import HTTPAdapter

log = logging.getLogger(__name__)

# Signature algorithms an ID token may use: asymmetric only (never "none", never HS* with
# the client secret, so a leaked secret cannot mint tokens).
ID_TOKEN_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
# Clock skew tolerated on exp, nbf and iat.
LEEWAY_SECONDS = 30
DISCOVERY_CACHE_SECONDS = 3600
JWKS_CACHE_SECONDS = 3600
# An unknown `kid` makes the cabinet fetch the JWKS again, at most this often (a stream of
# forged tokens with made-up key ids must not turn into a stream of requests).
JWKS_REFETCH_COOLDOWN_SECONDS = 30
# The longest provider session id (`sid`) the cabinet keeps.
MAX_SID_LENGTH = 255

# Account levels as `acr` values, lowest first (the provider's urn:egisz:loa:<level>).
ACR_ORDER = ("urn:egisz:loa:simplified", "urn:egisz:loa:standard", "urn:egisz:loa:confirmed")

# One connection pool for every call to the provider, shared by all threads of the process.
_ADAPTER = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered with a server error or garbage."""


class ProviderRefused(Exception):
    """The provider answered with an OAuth error (``error`` is its code)."""

    def __init__(self, error: str, description: str = ""):
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


class InvalidToken(Exception):
    """A token from the provider is not to be trusted; ``reason`` says why (for the audit
    journal)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvalidIDToken(InvalidToken):
    """The ID token of a login is not to be trusted."""


class InvalidLogoutToken(InvalidToken):
    """A back-channel logout token is not to be trusted."""


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    id_token: str
    expires_at: int | None  # epoch seconds

    @classmethod
    def from_response(cls, token: dict, *, previous_refresh: str = "") -> TokenSet:
        expires_at = token.get("expires_at")
        if expires_at is None and token.get("expires_in") is not None:
            expires_at = int(time.time()) + int(token["expires_in"])
        return cls(
            access_token=str(token.get("access_token") or ""),
            refresh_token=str(token.get("refresh_token") or previous_refresh),
            id_token=str(token.get("id_token") or ""),
            expires_at=int(expires_at) if expires_at is not None else None,
        )


# --- Addresses -------------------------------------------------------------------------------


def issuer() -> str:
    return settings.OIDC_ISSUER.rstrip("/")


def redirect_uri() -> str:
    return f"{settings.CABINET_URL.rstrip('/')}/sso/callback/"


def post_logout_redirect_uri() -> str:
    return f"{settings.CABINET_URL.rstrip('/')}/"


def _timeout() -> float:
    return float(settings.OIDC_HTTP_TIMEOUT_SECONDS)


def _http() -> requests.Session:
    """A requests session on the shared pool. A fresh one per call, so cookies a provider
    might set never travel from one citizen's call to another's."""
    session = requests.Session()
    session.mount("http://", _ADAPTER)
    session.mount("https://", _ADAPTER)
    return session


def _oauth() -> OAuth2Session:
    session = OAuth2Session(
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 (a method name)
        scope=settings.OIDC_SCOPES,
        redirect_uri=redirect_uri(),
        code_challenge_method="S256",
        default_timeout=_timeout(),
    )
    session.mount("http://", _ADAPTER)
    session.mount("https://", _ADAPTER)
    return session


def _get_json(url: str, **kwargs) -> dict:
    try:
        response = _http().get(url, timeout=_timeout(), **kwargs)
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"GET {url}: {exc}") from exc
    if response.status_code != 200:
        raise ProviderUnavailable(f"GET {url}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise ProviderUnavailable(f"GET {url}: not JSON") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"GET {url}: not a JSON object")
    return data


def _cache_key(kind: str, value: str) -> str:
    return f"egisz:sso:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


# --- Discovery and keys ----------------------------------------------------------------------

REQUIRED_METADATA = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")


def provider_metadata() -> dict:
    """The provider's discovery document (cached). Its issuer must be exactly the
    configured one (OpenID Connect Discovery §4.3)."""
    key = _cache_key("discovery", issuer())
    metadata = cache.get(key)
    if metadata is None:
        metadata = _get_json(f"{issuer()}/.well-known/openid-configuration")
        if metadata.get("issuer") != issuer():
            raise ProviderUnavailable(
                f"discovery names issuer {metadata.get('issuer')!r}, expected {issuer()!r}"
            )
        missing = [name for name in REQUIRED_METADATA if not metadata.get(name)]
        if missing:
            raise ProviderUnavailable(f"discovery lacks {', '.join(missing)}")
        cache.set(key, metadata, DISCOVERY_CACHE_SECONDS)
    return metadata


def _jwks(*, refresh: bool = False) -> dict:
    uri = provider_metadata()["jwks_uri"]
    key = _cache_key("jwks", uri)
    keys = None if refresh else cache.get(key)
    if keys is None:
        keys = _get_json(uri)
        if not isinstance(keys.get("keys"), list):
            raise ProviderUnavailable("the JWKS has no key list")
        cache.set(key, keys, JWKS_CACHE_SECONDS)
    return keys


def _key_set_for(kid: str | None) -> tuple[KeySet, set]:
    """The provider's keys and their ids, fetched again once when the token names a key we
    do not know (the provider rotated its keys since we cached them)."""
    keys = _jwks()
    if kid is not None and kid not in _kids(keys):
        cooldown = _cache_key("jwks-refetch", issuer())
        if cache.add(cooldown, 1, JWKS_REFETCH_COOLDOWN_SECONDS):
            keys = _jwks(refresh=True)
        else:
            # Another request is fetching (or has just fetched) the new set: use the
            # cached one, which may already hold the key, rather than fail on our stale
            # copy or ask the provider once more.
            keys = _jwks()
    try:
        return KeySet.import_key_set(keys), _kids(keys)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ProviderUnavailable(f"the JWKS cannot be read: {exc}") from exc


def _kids(keys: dict) -> set:
    return {key.get("kid") for key in keys["keys"] if isinstance(key, dict)}


# --- Authorization ---------------------------------------------------------------------------


def authorization_request(*, prompt: str | None = None) -> AuthorizationRequest:
    """Where to send the browser: an authorization URL with state, nonce and a PKCE S256
    challenge. The caller keeps state, nonce and verifier in the session."""
    state = secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    extra = {"nonce": nonce}
    if prompt:
        extra["prompt"] = prompt
    url, state = _oauth().create_authorization_url(
        provider_metadata()["authorization_endpoint"],
        state=state,
        code_verifier=verifier,
        **extra,
    )
    return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)


def _token_call(call, **kwargs) -> dict:
    try:
        return dict(call(provider_metadata()["token_endpoint"], timeout=_timeout(), **kwargs))
    except OAuthError as exc:
        raise ProviderRefused(str(exc.error or "oauth_error"), str(exc.description or "")) from exc
    except requests.RequestException as exc:  # network, or HTTP 5xx raised by authlib
        raise ProviderUnavailable(f"token endpoint: {exc}") from exc
    except ValueError as exc:  # a body that is not a JSON object
        raise ProviderUnavailable(f"token endpoint: {exc}") from exc


def exchange_code(*, code: str, code_verifier: str) -> TokenSet:
    """Code → tokens at the token endpoint (client_secret_basic, with the PKCE verifier)."""
    token = _token_call(
        _oauth().fetch_token,
        grant_type="authorization_code",
        code=code,
        code_verifier=code_verifier,
        redirect_uri=redirect_uri(),
    )
    tokens = TokenSet.from_response(token)
    if not tokens.access_token or not tokens.id_token:
        raise ProviderRefused("invalid_response", "no access_token or id_token")
    return tokens


def refresh(*, refresh_token: str) -> TokenSet:
    """A refresh-token exchange; the provider rotates the refresh token (if it does not,
    the old one stays in use)."""
    token = _token_call(_oauth().refresh_token, refresh_token=refresh_token)
    tokens = TokenSet.from_response(token, previous_refresh=refresh_token)
    if not tokens.access_token:
        raise ProviderRefused("invalid_response", "no access_token")
    return tokens


# --- ID token ---------------------------------------------------------------------------------


def _signed_by_provider(token: str, invalid: type[InvalidToken]) -> jwt.Token:
    """The header and claims of a JWT signed by one of the provider's keys with an
    asymmetric algorithm (OpenID Connect Core §3.1.3.7, steps 6–8: never "none", never HS*
    with the client secret). Raises ``invalid(reason)``, or ProviderUnavailable when the
    provider's keys cannot be fetched."""
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, TypeError, UnicodeError) as exc:
        raise invalid("malformed") from exc
    if header.get("alg") not in ID_TOKEN_ALGORITHMS:
        raise invalid(f"algorithm:{str(header.get('alg'))[:20]}")
    kid = header.get("kid")
    keys, kids = _key_set_for(kid)
    if kid is not None and kid not in kids:
        raise invalid("unknown_key")
    try:
        return jwt.decode(token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
    except (JoseError, ValueError) as exc:
        raise invalid("signature") from exc


def _claim_error(exc: JoseError) -> str:
    claim = getattr(exc, "claim", "") or ""
    return f"{exc.error}:{claim}" if claim else str(exc.error)


def validate_id_token(id_token: str, *, nonce: str, access_token: str | None = None) -> dict:
    """The claims of an ID token this cabinet may trust: signed by one of the provider's
    keys with an asymmetric algorithm, issued by the configured issuer to this client
    (aud, azp), current (exp, nbf, iat), for this login (nonce) and, when the token carries
    at_hash, bound to ``access_token``. Raises InvalidIDToken(reason)."""
    decoded = _signed_by_provider(id_token, InvalidIDToken)
    claims = CodeIDToken(
        dict(decoded.claims),
        dict(decoded.header),
        {
            "iss": {"essential": True, "value": issuer()},
            "aud": {"essential": True, "value": settings.OIDC_CLIENT_ID},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        },
        {"nonce": nonce, "client_id": settings.OIDC_CLIENT_ID, "access_token": access_token},
    )
    try:
        claims.validate(leeway=LEEWAY_SECONDS)
    except JoseError as exc:
        raise InvalidIDToken(_claim_error(exc)) from exc
    if not claims.get("nonce"):
        raise InvalidIDToken("missing_claim:nonce")
    return dict(claims)


def session_id(claims: dict) -> str:
    """The provider's session id (`sid`) of an ID token, or "" when it carries none (or
    one this cabinet cannot keep)."""
    sid = claims.get("sid")
    return sid if isinstance(sid, str) and 0 < len(sid) <= MAX_SID_LENGTH else ""


# --- Back-channel logout token ---------------------------------------------------------------

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# The explicit type of a logout token (Back-Channel Logout 1.0 §2.4, RFC 8725 §3.11): a
# token typed otherwise (an ID token's "JWT") is some other token of the same issuer.
LOGOUT_TOKEN_TYPES = ("logout+jwt", "application/logout+jwt")


def validate_logout_token(logout_token: str) -> dict:
    """The claims of a back-channel logout token, checked as OpenID Connect Back-Channel
    Logout 1.0 §2.6 says: signed like an ID token (the provider's keys, an asymmetric
    algorithm, never "none"); iss, aud, iat and exp as for an ID token; a `sub`, a `sid` or
    both; an `events` object naming the back-channel logout event; no `nonce`; a `jti`
    (whose single use the caller enforces). A `typ` header, when present, must be
    logout+jwt. Raises InvalidLogoutToken(reason), or ProviderUnavailable when the keys
    cannot be fetched."""
    decoded = _signed_by_provider(logout_token, InvalidLogoutToken)
    typ = decoded.header.get("typ")
    if typ is not None and str(typ).lower() not in LOGOUT_TOKEN_TYPES:
        raise InvalidLogoutToken(f"typ:{str(typ)[:30]}")
    claims = dict(decoded.claims)
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer()},
        aud={"essential": True, "value": settings.OIDC_CLIENT_ID},
        iat={"essential": True},
        exp={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise InvalidLogoutToken(_claim_error(exc)) from exc
    if not all(math.isfinite(claims[name]) for name in ("iat", "exp")):
        raise InvalidLogoutToken("invalid_claim:exp")
    sid, sub = claims.get("sid"), claims.get("sub")
    if sid is None and sub is None:
        raise InvalidLogoutToken("missing_claim:sid_or_sub")
    if sid is not None and (not isinstance(sid, str) or not 0 < len(sid) <= MAX_SID_LENGTH):
        raise InvalidLogoutToken("invalid_claim:sid")
    if sub is not None and not sub:
        raise InvalidLogoutToken("invalid_claim:sub")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise InvalidLogoutToken("invalid_claim:events")
    if "nonce" in claims:
        raise InvalidLogoutToken("nonce_present")
    return claims


def acr_satisfies(acr: str | None, required: str) -> bool:
    """Whether the account level ``acr`` is at least ``required`` (an unknown level is
    below every known one; an unknown requirement is met only by itself)."""
    if not acr:
        return False
    if required not in ACR_ORDER:
        return acr == required
    if acr not in ACR_ORDER:
        return False
    return ACR_ORDER.index(acr) >= ACR_ORDER.index(required)


# --- UserInfo and logout ---------------------------------------------------------------------


class AccessRefused(Exception):
    """UserInfo refused the access token (HTTP 401 or 403): expired, revoked, withdrawn."""


def userinfo(access_token: str) -> dict:
    """The claims UserInfo releases for ``access_token``.

    Raises AccessRefused when the provider refuses the token, ProviderUnavailable when it
    cannot be asked."""
    url = provider_metadata()["userinfo_endpoint"]
    try:
        response = _http().get(
            url,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=_timeout(),
        )
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"userinfo: {exc}") from exc
    if response.status_code in (401, 403):
        raise AccessRefused(response.headers.get("WWW-Authenticate", str(response.status_code)))
    if response.status_code != 200:
        raise ProviderUnavailable(f"userinfo: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise ProviderUnavailable("userinfo: not JSON") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable("userinfo: not a JSON object")
    return data


def end_session_url(logout_hint: str | None) -> str | None:
    """The provider's RP-initiated logout address for this session, or None when the
    provider publishes none (or cannot be reached to say).

    The address is a plain GET that the browser keeps in its history and servers in their
    logs, so it names the session by ``client_id`` and ``logout_hint`` (the provider's
    `sid`, or the `sub`) and never carries the ID token (RP-Initiated Logout 1.0 §2)."""
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except ProviderUnavailable:
        log.warning("logout: the provider's discovery document is unavailable")
        return None
    if not endpoint:
        return None
    params = {
        "client_id": settings.OIDC_CLIENT_ID,
        "post_logout_redirect_uri": post_logout_redirect_uri(),
    }
    if logout_hint:
        params["logout_hint"] = logout_hint
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"
