"""Re-encrypting every stored value of the site under the ring's current key."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from egisz.common.audit.services import record_event
from egisz.common.audit.vocabulary import CommonAction
from egisz.common.crypto import DecryptionError, current_key_id
from egisz.common.keyring.registry import EncryptedStore, RotationError, encrypted_stores
from egisz.common.request_meta import SYSTEM, RequestMeta

log = logging.getLogger(__name__)

# progress(store, rows gone through, rows to go through)
Progress = Callable[[EncryptedStore, int, int], None]


@dataclass
class RotationReport:
    key_id: str
    rotated: dict[str, int] = field(default_factory=dict)  # values rewritten, per store
    failures: list[str] = field(default_factory=list)  # "store #pk: why"

    @property
    def total(self) -> int:
        return sum(self.rotated.values())


def rotate_field_key(
    *, batch_size: int = 100, progress: Progress | None = None, meta: RequestMeta = SYSTEM
) -> RotationReport:
    """Re-encrypts with the current key every value of the site that is under another key.

    Each store is gone through in primary-key order, ``batch_size`` rows per transaction,
    each batch locked (SELECT … FOR UPDATE) while it is rewritten, so a request changing
    one of its rows waits for the batch rather than writing over it. Rows already under the
    current key are not selected: after an interruption, a new run takes up the rest. A
    value that cannot be decrypted is reported and passed over. The finished run is
    journalled (``keyring.field_key_rotated``).

    Every process must already have the new ring (the same first key): one still
    encrypting with an older key would keep writing values the run has to come back for."""
    report = RotationReport(key_id=current_key_id())
    for store in encrypted_stores():
        report.rotated[store.label] = _rotate_store(store, report, batch_size, progress)
    record_event(
        action=CommonAction.FIELD_KEY_ROTATED,
        meta=meta,
        success=not report.failures,
        key_id=report.key_id,
        rotated=report.rotated,
        failures=len(report.failures),
    )
    return report


def _rotate_store(store, report: RotationReport, batch_size: int, progress) -> int:
    pending = store.pending(report.key_id).order_by("pk")
    total = pending.count()
    done = rotated = 0
    cursor = None
    if progress:
        progress(store, done, total)
    while True:
        with transaction.atomic():
            rows = pending.select_for_update()
            if cursor is not None:
                rows = rows.filter(pk__gt=cursor)
            batch = list(rows[:batch_size])
            for row in batch:
                try:
                    rotated += store.rotate(row)
                except (DecryptionError, RotationError) as error:
                    log.error("rotate-field-key: %s #%s: %s", store.label, row.pk, error)
                    report.failures.append(f"{store.label} #{row.pk}: {error}")
        if not batch:
            if progress and done < total:
                progress(store, total, total)  # rows changed meanwhile: the store is done
            return rotated
        cursor = batch[-1].pk
        done += len(batch)
        if progress:
            progress(store, min(done, total), total)
