"""Encrypted blobs of stored documents on the local filesystem (settings.DOCUMENTS_DIR).

Each blob is the original bytes encrypted with the field-encryption key ring
(egisz.common.crypto: the key id, then a Fernet token), under a random name that says
nothing about its owner or content; ``rotate-field-key`` rewrites it under the current key
(``reencrypt_blob``). A blob is written to a temporary file in
the same directory and renamed into place, so a reader never sees half of one; a blob whose
database row never committed is removed by the service that wrote it (when its transaction
fails) or, after a crash or an outer rollback, by ``sweep_orphans``.

Only this module touches the directory: an S3-compatible backend later replaces these few
functions.
"""

import logging
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from egisz.common.crypto import decrypt_bytes, encrypt_bytes, key_id_of, reencrypt_bytes

log = logging.getLogger(__name__)

NAME = re.compile(r"^[0-9a-f]{32}\.bin$")
TEMP_PREFIX = ".tmp-"


class BlobMissing(Exception):
    """The blob is not there or cannot be decrypted with the key ring."""


def _directory() -> Path:
    directory = Path(settings.DOCUMENTS_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _path(name: str) -> Path:
    if not NAME.match(name or ""):
        raise BlobMissing(f"not a blob name: {name!r}")
    return _directory() / name


def write_blob(content: bytes) -> str:
    """Encrypts and writes ``content`` atomically; returns the new blob's name."""
    name = secrets.token_hex(16) + ".bin"  # 128 random bits: names do not clash
    _write(_directory(), name, encrypt_bytes(content))
    return name


def _write(directory: Path, name: str, data: bytes) -> None:
    """Writes ``data`` as ``name``: to a temporary file first, renamed into place."""
    fd, temp_path = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, directory / name)
    except BaseException:
        Path(temp_path).unlink(missing_ok=True)
        raise


def read_blob(name: str) -> bytes:
    """The original bytes of blob ``name``."""
    try:
        token = _path(name).read_bytes()
    except FileNotFoundError as exc:
        raise BlobMissing(name) from exc
    try:
        return decrypt_bytes(token)
    except ValueError as exc:
        log.error("blob %s cannot be decrypted: %s", name, exc)
        raise BlobMissing(name) from exc


def blob_key_id(name: str) -> str:
    """The id of the key blob ``name`` is encrypted with (read from its first bytes)."""
    try:
        with _path(name).open("rb") as handle:
            return key_id_of(handle.read(64))
    except FileNotFoundError as exc:
        raise BlobMissing(name) from exc


def reencrypt_blob(name: str) -> bool:
    """Rewrites blob ``name`` under the ring's current key (atomically, under the same
    name: a reader gets the old file or the new one, and the ring decrypts both). False
    when it is under that key already. DecryptionError when its key is not in the ring."""
    path = _path(name)
    try:
        token = path.read_bytes()
    except FileNotFoundError as exc:
        raise BlobMissing(name) from exc
    rotated = reencrypt_bytes(token)
    if rotated is None:
        return False
    _write(path.parent, name, rotated)
    return True


def delete_blob(name: str) -> None:
    try:
        _path(name).unlink(missing_ok=True)
    except BlobMissing:
        return


def blob_exists(name: str) -> bool:
    try:
        return _path(name).exists()
    except BlobMissing:
        return False


def sweep_orphans(*, known: Iterable[str], older_than_seconds: int = 3600) -> int:
    """Deletes blobs not in ``known`` and leftover temporary files, when older than
    ``older_than_seconds`` (younger ones may belong to a transaction still running).
    Returns how many files were deleted."""
    known = set(known)
    cutoff = time.time() - older_than_seconds
    deleted = 0
    for path in _directory().iterdir():
        if not path.is_file():
            continue
        stray = path.name.startswith(TEMP_PREFIX) or (
            NAME.match(path.name) and path.name not in known
        )
        if stray and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
