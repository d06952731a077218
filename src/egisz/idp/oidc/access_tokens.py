"""Access tokens as JWTs (RFC 9068), so resource servers can check them offline.

django-oauth-toolkit calls ``generate`` (OAUTH2_PROVIDER["ACCESS_TOKEN_GENERATOR"]) for
every access token and still stores the token (by checksum), so introspection, revocation
and UserInfo keep working on the stored row: a revoked token is refused there even while
its signature and `exp` are still good.
"""

import uuid

from django.conf import settings
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError

from egisz.idp.oidc import keys
from egisz.idp.oidc.subjects import subject_for

TOKEN_TYPE = "at+jwt"  # noqa: S105 (the RFC 9068 "typ", not a secret)
ALGORITHM = "RS256"
MAX_TOKEN_LENGTH = 8192


def generate(request) -> str:
    """The access token for an oauthlib token request (the grant is already validated,
    so ``request.user``, ``request.client`` and ``request.scopes`` are set)."""
    key = keys.signing_key(ALGORITHM)
    now = int(timezone.now().timestamp())
    client = request.client
    user = request.user
    claims = {
        "iss": settings.OIDC_ISSUER,
        "sub": subject_for(user, client) if user is not None else client.client_id,
        "aud": client.client_id,
        "client_id": client.client_id,
        "iat": now,
        "exp": now + int(request.expires_in),
        "jti": str(uuid.uuid4()),
        "scope": " ".join(request.scopes or []),
    }
    context = getattr(request, "egisz_context", None)
    if context is not None:
        claims["auth_time"] = int(context.auth_time.timestamp())
        claims["acr"] = context.acr
        claims["amr"] = list(context.amr)
    header = {"typ": TOKEN_TYPE, "alg": ALGORITHM, "kid": key.kid}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


class InvalidAccessToken(Exception):
    pass


def verify(token: str) -> dict:
    """The claims of a JWT access token this provider issued, checked offline the way a
    resource server would (signature against the published keys, type, issuer, time).
    Whether it was revoked is only known to introspection."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidAccessToken("malformed")
    try:
        decoded = jwt.decode(token, keys.verification_keys(), algorithms=[ALGORITHM])
        if decoded.header.get("typ") != TOKEN_TYPE:
            raise InvalidAccessToken("not an access token")
        jwt.JWTClaimsRegistry(
            now=int(timezone.now().timestamp()),
            iss={"essential": True, "value": settings.OIDC_ISSUER},
            exp={"essential": True},
            sub={"essential": True},
            client_id={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidAccessToken(str(error)) from error
    return decoded.claims
