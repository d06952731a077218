"""private_key_jwt: a client proves itself with a JWT signed by a key it registered
(RFC 7523 §2.2 and §3, OpenID Connect Core §9).

The assertion must be signed with RS256 or ES256 by a key in the client's registered
JWKS; iss and sub are the client_id; aud names this provider (its issuer or one of the
endpoints that authenticate clients); it lives at most five minutes; nbf and iat are not in
the future; and its jti is accepted once (kept until the assertion expires).
"""

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from oauth2_provider.models import get_application_model

from egisz.common.audit.services import record_event
from egisz.common.request_meta import SYSTEM, RequestMeta
from egisz.idp.audit_actions import IdpAction
from egisz.idp.oidc.models import ClientAuthMethod, ClientProfile, UsedClientAssertion

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS256", "ES256")
KEY_TYPE_BY_ALGORITHM = {"RS256": "RSA", "ES256": "EC"}
MAX_ASSERTION_LENGTH = 8192
MAX_LIFETIME_SECONDS = 300
CLOCK_SKEW_SECONDS = 30
MAX_CLIENT_KEYS = 10
MIN_RSA_BITS = 2048
PRIVATE_KEY_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


class ClientAssertionError(Exception):
    """The assertion is refused; ``reason`` is for the log, never for the client."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ClientKeysError(ValueError):
    """A JWKS that cannot be registered for a client."""


def _param(request, name: str):
    try:
        return getattr(request, name)
    except AttributeError:
        return None


def presented(request) -> bool:
    """Whether the (oauthlib) request carries a client assertion."""
    return bool(_param(request, "client_assertion") or _param(request, "client_assertion_type"))


def audiences() -> set[str]:
    """What a client may put in `aud`: the issuer or an endpoint that authenticates it."""
    from egisz.idp.oidc.discovery import endpoint_url, issuer

    return {
        issuer(),
        issuer() + "/",
        endpoint_url("oidc:token"),
        endpoint_url("oidc:introspect"),
        endpoint_url("oidc:revoke"),
    }


def authenticate(request, *, allowed_audiences: set[str]):
    """The application the request's client assertion proves, or ClientAssertionError."""
    if _param(request, "client_assertion_type") != ASSERTION_TYPE:
        raise ClientAssertionError("unsupported client_assertion_type")
    assertion = _param(request, "client_assertion")
    if not isinstance(assertion, str) or not assertion or len(assertion) > MAX_ASSERTION_LENGTH:
        raise ClientAssertionError("missing or oversized assertion")
    try:
        unverified = jws.extract_compact(assertion.encode("ascii"))
        header = unverified.headers()
        claims = json.loads(unverified.payload)
    except (JoseError, ValueError, TypeError, UnicodeError) as error:
        raise ClientAssertionError("malformed assertion") from error
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise ClientAssertionError(f"algorithm {algorithm!r} not allowed")
    if not isinstance(claims, dict):
        raise ClientAssertionError("claims are not an object")
    client_id = claims.get("iss")
    if not isinstance(client_id, str) or not client_id or len(client_id) > 100:
        raise ClientAssertionError("bad iss")
    if "\x00" in client_id or claims.get("sub") != client_id:
        raise ClientAssertionError("iss and sub must both be the client_id")
    named = _param(request, "client_id")
    if named and named != client_id:
        raise ClientAssertionError("client_id does not match the assertion")

    profile = (
        ClientProfile.objects.select_related("application")
        .filter(application__client_id=client_id)
        .first()
    )
    if (
        profile is None
        or profile.token_endpoint_auth_method != ClientAuthMethod.PRIVATE_KEY_JWT
        or not profile.jwks
    ):
        raise ClientAssertionError("client is not registered for private_key_jwt")

    verified = _verify_signature(assertion, header, profile.jwks)
    now = int(timezone.now().timestamp())
    try:
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=CLOCK_SKEW_SECONDS,
            iss={"essential": True, "value": client_id},
            sub={"essential": True, "value": client_id},
            aud={"essential": True, "values": sorted(allowed_audiences)},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(verified)
    except JoseError as error:
        raise ClientAssertionError(f"claims refused: {error}") from error
    expires = verified["exp"]
    if expires - now > MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        raise ClientAssertionError("assertion lives too long")
    issued = verified.get("iat")
    if isinstance(issued, int | float) and expires - issued > MAX_LIFETIME_SECONDS:
        raise ClientAssertionError("assertion lives too long")
    _use_once(profile.application, verified["jti"], expires)
    return profile.application


def _verify_signature(assertion: str, header: dict, jwks: dict) -> dict:
    try:
        key_set = KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ClientAssertionError("registered keys unusable") from error
    algorithm = header["alg"]
    kid = header.get("kid")
    candidates = [
        key
        for key in key_set.keys
        if key.key_type == KEY_TYPE_BY_ALGORITHM[algorithm] and (kid is None or key.kid == kid)
    ]
    for key in candidates[:MAX_CLIENT_KEYS]:
        try:
            return jwt.decode(assertion, key, algorithms=[algorithm]).claims
        except (JoseError, ValueError, TypeError):
            continue
    raise ClientAssertionError("signature does not verify with a registered key")


def _use_once(application, jti: str, expires) -> None:
    now = timezone.now()
    UsedClientAssertion.objects.filter(application=application, expires_at__lt=now).delete()
    keep_until = datetime.fromtimestamp(float(expires), tz=UTC) + timedelta(
        seconds=CLOCK_SKEW_SECONDS
    )
    try:
        with transaction.atomic():
            UsedClientAssertion.objects.create(
                application=application,
                jti_hash=hashlib.sha256(jti.encode("utf-8")).hexdigest(),
                expires_at=keep_until,
            )
    except IntegrityError as error:
        raise ClientAssertionError("jti already used") from error


def public_client_keys(jwks) -> dict:
    """Check a JWKS a client registers: RSA (2048 bits or more) or P-256 signing keys,
    public parts only. Returns the set as it will be stored."""
    if isinstance(jwks, str):
        try:
            jwks = json.loads(jwks)
        except ValueError as error:
            raise ClientKeysError("JWKS is not JSON") from error
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ClientKeysError('JWKS must be an object with a "keys" list')
    if not 1 <= len(jwks["keys"]) <= MAX_CLIENT_KEYS:
        raise ClientKeysError(f"JWKS must hold 1 to {MAX_CLIENT_KEYS} keys")
    for data in jwks["keys"]:
        if not isinstance(data, dict):
            raise ClientKeysError("a key is not an object")
        if PRIVATE_KEY_MEMBERS & set(data):
            raise ClientKeysError("JWKS must hold public keys only")
        if data.get("kty") not in ("RSA", "EC") or data.get("use", "sig") != "sig":
            raise ClientKeysError("only RSA and EC signing keys are accepted")
        if data.get("kty") == "EC" and data.get("crv") != "P-256":
            raise ClientKeysError("EC keys must be on P-256")
    try:
        key_set = KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ClientKeysError(f"JWKS cannot be read: {error}") from error
    for key in key_set.keys:
        if key.key_type == "RSA" and key.raw_value.key_size < MIN_RSA_BITS:
            raise ClientKeysError(f"RSA keys must have at least {MIN_RSA_BITS} bits")
    return key_set.as_dict(private=False)


@transaction.atomic
def use_private_key_jwt(
    *, application, jwks, meta: RequestMeta = SYSTEM, actor=None
) -> ClientProfile:
    """Make a confidential client authenticate with private_key_jwt and the given public
    keys (replacing any registered before). Its secret is no longer accepted."""
    if application.client_type != get_application_model().CLIENT_CONFIDENTIAL:
        raise ClientKeysError("a public client does not authenticate")
    profile = ClientProfile.objects.select_for_update().get(application=application)
    profile.jwks = public_client_keys(jwks)
    profile.token_endpoint_auth_method = ClientAuthMethod.PRIVATE_KEY_JWT
    profile.save(update_fields=["jwks", "token_endpoint_auth_method"])
    record_event(
        action=IdpAction.CLIENT_KEYS_SET,
        meta=meta,
        actor=actor,
        subject=f"client:{application.client_id}",
        kids=[key.get("kid") for key in profile.jwks["keys"]],
    )
    return profile
