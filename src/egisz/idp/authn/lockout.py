"""Login lockout, kept per identifier as normalised, whether or not an account has it.

Each reading of what was typed (a phone in E.164, a СНИЛС as 11 digits, an e-mail
lower-cased; see identify.readings) has its own row, under a keyed hash of the reading
(the table holds no identifiers). After LOCKOUT_THRESHOLD failures, each within
LOCKOUT_MINUTES of the one before, the reading is locked for LOCKOUT_MINUTES. The same rows
and the same rules serve real accounts and unknown identifiers, so nothing in the answers
or their timing tells the two apart.

An account's phone, e-mail and СНИЛС are three readings with three budgets: guesses with
the phone never make the e-mail or the СНИЛС answer differently, so a lock cannot be used
to link one to the other (README, «Security defaults»).

Callers hold the rows (``hold``) for the whole check, inside one transaction: a second
guess with the same identifier waits for the first to be counted, so parallel requests
never get more tries than the threshold.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import salted_hmac

from egisz.idp.authn.identify import account_identifiers, readings
from egisz.idp.authn.models import LoginLock

_SALT = "egisz.idp.authn.lockout"


def duration() -> timedelta:
    return timedelta(minutes=settings.LOCKOUT_MINUTES)


def keys_for(identifier: str) -> list[str]:
    """The lock keys of what was typed: one per reading."""
    return sorted(
        {
            salted_hmac(_SALT, f"{kind}:{value}", algorithm="sha256").hexdigest()
            for kind, value in readings(identifier)
        }
    )


def account_keys(account) -> list[str]:
    return sorted({key for typed in account_identifiers(account) for key in keys_for(typed)})


@dataclass
class Held:
    """The rows of one attempt, locked until the caller's transaction ends."""

    rows: list[LoginLock]
    now: datetime

    @property
    def locked_until(self) -> datetime | None:
        ends = [row.locked_until for row in self.rows if row.locked_until]
        end = max(ends, default=None)
        return end if end and end > self.now else None


def hold(keys: list[str]) -> Held:
    """Lock (SELECT … FOR UPDATE) the rows of ``keys``, creating missing ones. Call inside
    transaction.atomic()."""
    now = timezone.now()
    LoginLock.objects.bulk_create(
        [LoginLock(key=key, updated_at=now) for key in keys], ignore_conflicts=True
    )
    rows = list(LoginLock.objects.select_for_update().filter(key__in=keys).order_by("key"))
    return Held(rows=rows, now=now)


def count_failure(held: Held) -> datetime | None:
    """Count one failure on every held row. Returns the lock's end when this failure has
    just locked the identifier, else None."""
    now, window = held.now, duration()
    locked = None
    for row in held.rows:
        if row.last_failure_at is None or row.last_failure_at <= now - window:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= settings.LOCKOUT_THRESHOLD:
            row.failures = 0
            row.locked_until = locked = now + window
        row.updated_at = now
        row.save(update_fields=["failures", "last_failure_at", "locked_until", "updated_at"])
    _forget_stale(now)
    return locked


def clear(keys: list[str]) -> None:
    """Forget failures and lift locks of ``keys`` (a completed login, a new password)."""
    LoginLock.objects.filter(key__in=keys).update(
        failures=0, last_failure_at=None, locked_until=None, updated_at=timezone.now()
    )


def account_locked_until(account) -> datetime | None:
    """When the last lock on any of the account's identifiers ends, if one is on now."""
    now = timezone.now()
    end = LoginLock.objects.filter(key__in=account_keys(account), locked_until__gt=now).aggregate(
        end=Max("locked_until")
    )["end"]
    return end


def _forget_stale(now: datetime) -> None:
    """Rows untouched for two lock periods hold nothing any rule still reads."""
    LoginLock.objects.filter(updated_at__lt=now - 2 * duration()).delete()
