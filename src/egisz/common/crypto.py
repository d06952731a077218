"""Encrypting small secrets kept in the database (such as TOTP seeds) with Fernet."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = getattr(settings, "FIELD_ENCRYPTION_KEY", "")
    if not key:
        # Derived from SECRET_KEY so the demo needs no extra secret; production may
        # set its own key to rotate the two independently.
        digest = hashlib.sha256(b"egisz-field-encryption:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode())


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("the stored secret cannot be decrypted with the current key") from exc


def encrypt_bytes(data: bytes) -> bytes:
    """A Fernet token (authenticated encryption) of ``data``, e.g. a stored document."""
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken as exc:
        raise ValueError("the stored data cannot be decrypted with the current key") from exc
