"""Encryption of secrets the sites keep (TOTP seeds, private signing keys, provider tokens,
stored scans) with a ring of Fernet keys.

``settings.FIELD_ENCRYPTION_KEYS`` is the ring: (key id, Fernet key) pairs from
EGISZ_FIELD_ENCRYPTION_KEYS; the first key encrypts, every key decrypts. Each ciphertext
names the key it was made with — ``<key id>:<Fernet token>``, as text in a column or as the
first bytes of a stored file — so decryption takes that key and no other. A ciphertext
written before key rings carries no key id: the ring's ``legacy`` key decrypts it.
``egisz idp|cabinet rotate-field-key`` (egisz.common.keyring) re-encrypts everything stored
under the current key, after which an old key can leave the ring.
"""

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

# Lower case only: SQLite compares LIKE prefixes without regard to case, and the rotation
# finds the rows still under another key by their prefix.
KEY_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
# The key of ciphertexts written before key rings (they carry no key id).
LEGACY_KEY_ID = "legacy"
# The demo ring's key (derived from the demo secret key, like the legacy key).
DEMO_KEY_ID = "demo"
SEPARATOR = ":"
GENERATE_HINT = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class KeyRingError(ValueError):
    """The configured key ring is not usable (one line, naming the setting)."""


class DecryptionError(ValueError):
    """A stored value cannot be decrypted: its key is not in the ring, or it was altered."""


def derived_key(secret_key: str) -> str:
    """The Fernet key derived from the secret key: the only key before key rings (unless
    EGISZ_FIELD_ENCRYPTION_KEY was set), and the demo ring's key."""
    digest = hashlib.sha256(b"egisz-field-encryption:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def configured_key_ring(
    spec: str, *, old_key: str, secret_key: str, demo: bool
) -> tuple[tuple[str, str], ...]:
    """The ring for settings.FIELD_ENCRYPTION_KEYS from the environment, checked.

    ``spec`` is EGISZ_FIELD_ENCRYPTION_KEYS: comma-separated ``id:key`` entries, the first
    encrypting. A bare ``legacy`` entry stands for the key used before key rings:
    ``old_key`` (EGISZ_FIELD_ENCRYPTION_KEY) when set, else the key derived from the secret
    key. ``old_key`` alone still makes a ring (of the one key ``legacy``); while ``spec`` is
    set, a set ``old_key`` is the ring's ``legacy`` key. Demo mode without either derives
    its ring from the (demo) secret key. Raises KeyRingError with one line."""
    setting = "EGISZ_FIELD_ENCRYPTION_KEYS"
    legacy = old_key or derived_key(secret_key)
    if old_key:
        old_ring = check_key_ring([(LEGACY_KEY_ID, old_key)], setting="EGISZ_FIELD_ENCRYPTION_KEY")
    if not spec.strip():
        if old_key:
            return old_ring
        if demo:
            return check_key_ring([(DEMO_KEY_ID, legacy), (LEGACY_KEY_ID, legacy)])
        raise KeyRingError(
            f"{setting} must be set outside demo mode (EGISZ_DEMO=1): comma-separated "
            f"id:key pairs, the first encrypting; a key comes from {GENERATE_HINT}"
        )
    entries = []
    for number, entry in enumerate(spec.split(","), start=1):
        entry = entry.strip()
        if entry == LEGACY_KEY_ID:
            entries.append((LEGACY_KEY_ID, legacy))
            continue
        kid, separator, key = entry.partition(SEPARATOR)
        if not separator:
            raise KeyRingError(f"{setting}: entry {number} is not id:key (or legacy)")
        if kid.strip() == LEGACY_KEY_ID and old_key:
            raise KeyRingError(
                f"{setting}: the key legacy is EGISZ_FIELD_ENCRYPTION_KEY; "
                "name it as a bare legacy entry, or unset EGISZ_FIELD_ENCRYPTION_KEY"
            )
        entries.append((kid.strip(), key.strip()))
    if old_key and LEGACY_KEY_ID not in dict(entries):
        entries.append((LEGACY_KEY_ID, old_key))
    if not demo and entries[0][1] == derived_key(secret_key):
        raise KeyRingError(
            f"{setting}: the first key encrypts and must be a key of its own, "
            "not the legacy key derived from EGISZ_SECRET_KEY"
        )
    return check_key_ring(entries, setting=setting)


def check_key_ring(
    entries, *, setting: str = "EGISZ_FIELD_ENCRYPTION_KEYS"
) -> tuple[tuple[str, str], ...]:
    """``entries`` as a tuple of (id, key), or KeyRingError naming the first fault."""
    ring: list[tuple[str, str]] = []
    for kid, key in entries:
        if not KEY_ID.match(kid):
            raise KeyRingError(
                f"{setting}: key id {kid!r} must be 1-32 lower-case letters, digits, '.', '_' "
                "or '-', starting with a letter or digit"
            )
        if any(kid == seen for seen, _ in ring):
            raise KeyRingError(f"{setting}: key id {kid!r} appears twice")
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise KeyRingError(
                f"{setting}: the key of {kid!r} is not a Fernet key (32 bytes in url-safe "
                f"base64); generate one with {GENERATE_HINT}"
            ) from None
        ring.append((kid, key))
    if not ring:
        raise KeyRingError(f"{setting}: the key ring is empty")
    return tuple(ring)


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    fernets: dict[str, Fernet]

    def fernet(self, kid: str) -> Fernet:
        try:
            return self.fernets[kid]
        except KeyError:
            if kid == LEGACY_KEY_ID:
                raise DecryptionError(
                    "the value was encrypted before key rings (no key id) and the ring has no "
                    "legacy key: add legacy to EGISZ_FIELD_ENCRYPTION_KEYS until "
                    "rotate-field-key has moved every value to the current key"
                ) from None
            raise DecryptionError(
                f"the value is encrypted with key {kid!r}, which is not in the key ring "
                f"(EGISZ_FIELD_ENCRYPTION_KEYS has {', '.join(self.fernets)})"
            ) from None


@lru_cache(maxsize=8)
def _ring(entries: tuple[tuple[str, str], ...]) -> KeyRing:
    checked = check_key_ring(entries)
    return KeyRing(
        current_id=checked[0][0], fernets={kid: Fernet(key.encode()) for kid, key in checked}
    )


def key_ring() -> KeyRing:
    """The ring of settings.FIELD_ENCRYPTION_KEYS (built once per distinct setting)."""
    return _ring(tuple((kid, key) for kid, key in settings.FIELD_ENCRYPTION_KEYS))


def current_key_id() -> str:
    return key_ring().current_id


def key_id_of(ciphertext: str | bytes) -> str:
    """The id of the key ``ciphertext`` was made with (``legacy`` when it names none)."""
    return _split(ciphertext)[0]


def _split(ciphertext: str | bytes) -> tuple[str, bytes]:
    data = ciphertext.encode() if isinstance(ciphertext, str) else ciphertext
    # Fernet tokens are url-safe base64, which has no colon: a colon among the first bytes
    # ends a key id.
    end = data.find(SEPARATOR.encode(), 0, 33)
    if end < 0:
        return LEGACY_KEY_ID, data
    return data[:end].decode("ascii", errors="replace"), data[end + 1 :]


def encrypt_bytes(data: bytes) -> bytes:
    """``data`` encrypted and authenticated with the ring's current key, prefixed with that
    key's id (e.g. a stored document)."""
    ring = key_ring()
    token = ring.fernets[ring.current_id].encrypt(data)
    return ring.current_id.encode() + SEPARATOR.encode() + token


def decrypt_bytes(ciphertext: bytes) -> bytes:
    """The original bytes; DecryptionError names the key when it is not in the ring."""
    kid, token = _split(ciphertext)
    try:
        return key_ring().fernet(kid).decrypt(token)
    except InvalidToken:
        raise DecryptionError(
            f"the value cannot be decrypted with key {kid!r}: altered, or that id now names "
            "another key"
        ) from None


def encrypt_text(value: str) -> str:
    """``value`` encrypted with the current key, as text for an EncryptedTextField column
    (egisz.common.keyring.fields), which rotate-field-key re-encrypts."""
    return encrypt_bytes(value.encode()).decode("ascii")


def decrypt_text(ciphertext: str) -> str:
    return decrypt_bytes(ciphertext.encode()).decode()


def reencrypt_bytes(ciphertext: bytes) -> bytes | None:
    """``ciphertext`` under the current key, or None when it is under it already."""
    if key_id_of(ciphertext) == current_key_id():
        return None
    return encrypt_bytes(decrypt_bytes(ciphertext))


def reencrypt_text(ciphertext: str) -> str | None:
    """``ciphertext`` under the current key, or None when it is under it already."""
    rotated = reencrypt_bytes(ciphertext.encode())
    return None if rotated is None else rotated.decode("ascii")
