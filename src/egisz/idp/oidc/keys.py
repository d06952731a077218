"""The signing key store: RS256 and ES256 keys with rotation, on joserfc."""

import secrets
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from joserfc.jwk import ECKey, KeySet, RSAKey

from egisz.common.crypto import decrypt_text, encrypt_text
from egisz.idp.oidc.models import SigningKey

RSA_BITS = 2048


def _generate(algorithm: str, kid: str):
    parameters = {"kid": kid, "alg": algorithm, "use": "sig"}
    if algorithm == SigningKey.Algorithm.ES256:
        return ECKey.generate_key("P-256", parameters=parameters, private=True)
    return RSAKey.generate_key(RSA_BITS, parameters=parameters, private=True)


def _load(record: SigningKey):
    return _parse(record.kid, record.algorithm, record.encrypted_private_key)


@lru_cache(maxsize=32)
def _parse(kid: str, algorithm: str, encrypted_private_key: str):
    # Decrypting and parsing a PEM costs more than signing: do it once per process.
    parameters = {"kid": kid, "alg": algorithm, "use": "sig"}
    pem = decrypt_text(encrypted_private_key).encode()
    if algorithm == SigningKey.Algorithm.ES256:
        return ECKey.import_key(pem, parameters=parameters)
    return RSAKey.import_key(pem, parameters=parameters)


def publication_period() -> timedelta:
    """How long a retired key stays in the JWKS: past the life of anything it signed."""
    longest = max(
        settings.OAUTH2_PROVIDER["ID_TOKEN_EXPIRE_SECONDS"],
        settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"],
    )
    return timedelta(seconds=longest + 300)


@transaction.atomic
def rotate(algorithm: str) -> SigningKey:
    """Add a new key for ``algorithm`` and make it the signing key; the previous one is
    retired (still published, no longer signing)."""
    now = timezone.now()
    SigningKey.objects.select_for_update().filter(
        algorithm=algorithm, retired_at__isnull=True
    ).update(retired_at=now)
    return _insert_current(algorithm, now)


def _insert_current(algorithm: str, now) -> SigningKey:
    """A new current key; the database refuses a second current key per algorithm."""
    kid = f"{algorithm.lower()}-{now:%Y%m%d}-{secrets.token_hex(4)}"
    key = _generate(algorithm, kid)
    return SigningKey.objects.create(
        kid=kid,
        algorithm=algorithm,
        encrypted_private_key=encrypt_text(key.as_pem(private=True).decode()),
        created_at=now,
    )


def signing_key(algorithm: str):
    """The current private key for ``algorithm`` (created on first use)."""
    record = _current(algorithm)
    if record is None:
        record = _create_first(algorithm)
    return _load(record)


def _current(algorithm: str) -> SigningKey | None:
    return SigningKey.objects.filter(algorithm=algorithm, retired_at__isnull=True).first()


def _create_first(algorithm: str) -> SigningKey:
    """The first key of ``algorithm``. Several workers may get here at once on a fresh
    database; the database allows one current key per algorithm, so the losers use the
    winner's key instead of each signing with a key of its own. (Never a rotation: a
    worker that found no key a moment ago must not retire the one another has just made,
    or the two sign with different keys.)"""
    try:
        with transaction.atomic():
            return _insert_current(algorithm, timezone.now())
    except IntegrityError:
        record = _current(algorithm)
        if record is None:
            raise
        return record


def client_algorithm(application) -> str:
    """The algorithm ``application`` gets its ID tokens (and logout tokens) signed with."""
    profile = getattr(application, "profile", None)
    algorithm = profile.id_token_algorithm if profile else SigningKey.Algorithm.RS256
    return algorithm if algorithm in SigningKey.Algorithm.values else SigningKey.Algorithm.RS256


def published_records():
    cutoff = timezone.now() - publication_period()
    return SigningKey.objects.filter(Q(retired_at__isnull=True) | Q(retired_at__gt=cutoff))


def public_jwks() -> dict:
    # Relying parties cache the set: publish both algorithms' keys before the first token.
    for algorithm in SigningKey.Algorithm.values:
        signing_key(algorithm)
    return {"keys": [_load(record).as_dict(private=False) for record in published_records()]}


def verification_keys() -> KeySet:
    """Every published key, for checking tokens this provider signed."""
    return KeySet([_load(record) for record in published_records()])
