"""Lockout after repeated failures, one mechanism for every login of both sites.

Each key (a keyed hash of an identifier as normalised, a username…) has one row. After
``threshold`` failures, each within ``window`` of the one before, the key is locked for
``duration``. The same rows and rules serve existing accounts and unknown identifiers.

A caller holds the rows (``Lockout.hold``: SELECT … FOR UPDATE) for the whole check —
the slow hash or the code comparison included — and, on success, for whatever the success
writes, inside one transaction. A guess already in flight when another one locks the key
therefore waits for that lock to be committed, then sees it and is refused; a success never
lifts a lock set meanwhile (``forget_failures`` keeps ``locked_until``). Counting is an
update of the held rows, never a read-modify-write on a cache.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import salted_hmac

from egisz.common.flow.models import AttemptLock


@dataclass
class Held:
    """The rows of one attempt, locked until the caller's transaction ends."""

    rows: list[AttemptLock]
    now: datetime

    @property
    def keys(self) -> list[str]:
        return [row.key for row in self.rows]

    @property
    def locked_until(self) -> datetime | None:
        end = max((row.locked_until for row in self.rows if row.locked_until), default=None)
        return end if end and end > self.now else None


class Lockout:
    """The rules of one login: ``scope`` keys the hashes (so no two logins share rows),
    and the three limits are read from settings on every use (tests change them)."""

    def __init__(
        self,
        scope: str,
        *,
        threshold: Callable[[], int],
        window: Callable[[], timedelta],
        duration: Callable[[], timedelta],
    ):
        self.scope = scope
        self.threshold = threshold
        self.window = window
        self.duration = duration

    def key(self, value: str) -> str:
        return salted_hmac(self.scope, value, algorithm="sha256").hexdigest()

    def keys(self, values: Iterable[str]) -> list[str]:
        return sorted({self.key(value) for value in values})

    def hold(self, keys: Iterable[str]) -> Held:
        """Lock the rows of ``keys`` (creating missing ones), in key order so that two
        attempts never deadlock. Call inside transaction.atomic()."""
        keys = sorted(set(keys))
        now = timezone.now()
        AttemptLock.objects.bulk_create(
            [AttemptLock(key=key, updated_at=now) for key in keys], ignore_conflicts=True
        )
        rows = list(AttemptLock.objects.select_for_update().filter(key__in=keys).order_by("key"))
        return Held(rows=rows, now=now)

    def count_failure(self, held: Held) -> datetime | None:
        """Count one failure on every held row. Returns the lock's end when this failure
        has just locked the key, else None."""
        now, window, duration = held.now, self.window(), self.duration()
        locked = None
        for row in held.rows:
            if row.last_failure_at is None or row.last_failure_at <= now - window:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= self.threshold():
                row.failures = 0
                row.locked_until = locked = now + duration
            row.updated_at = now
            row.save(update_fields=["failures", "last_failure_at", "locked_until", "updated_at"])
        self._forget_stale(now)
        return locked

    def forget_failures(self, held: Held) -> None:
        """A success: the failures counted so far are forgotten; a lock stays."""
        AttemptLock.objects.filter(key__in=held.keys).update(
            failures=0, last_failure_at=None, updated_at=held.now
        )

    def clear(self, keys: Iterable[str]) -> None:
        """Forget failures and lift locks (an owner's own new password, an operator)."""
        AttemptLock.objects.filter(key__in=list(keys)).update(
            failures=0, last_failure_at=None, locked_until=None, updated_at=timezone.now()
        )

    def locked_until(self, keys: Iterable[str]) -> datetime | None:
        """When the last lock on ``keys`` ends, if one is on now (a plain read, for pages
        that only show it)."""
        return AttemptLock.objects.filter(
            key__in=list(keys), locked_until__gt=timezone.now()
        ).aggregate(end=Max("locked_until"))["end"]

    def _forget_stale(self, now: datetime) -> None:
        """Rows untouched for longer than a window and a lock hold nothing any rule reads."""
        horizon = now - max(self.window(), self.duration()) - self.duration()
        AttemptLock.objects.filter(updated_at__lt=horizon).delete()
