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

The rows and the rules of holding them are egisz.common.flow.lockout's: callers hold the
rows for the whole check and, on success, for the whole finishing of the login, inside one
transaction, so a second guess waits for the first to be counted and a guess in flight
never succeeds past a lock set meanwhile.
"""

from datetime import datetime, timedelta

from django.conf import settings

from egisz.common.flow.lockout import Lockout
from egisz.idp.authn.identify import account_identifiers, readings


def duration() -> timedelta:
    return timedelta(minutes=settings.LOCKOUT_MINUTES)


CITIZEN = Lockout(
    "egisz.idp.authn.lockout",
    threshold=lambda: settings.LOCKOUT_THRESHOLD,
    window=duration,
    duration=duration,
)


def keys_for(identifier: str) -> list[str]:
    """The lock keys of what was typed: one per reading."""
    return CITIZEN.keys(f"{kind}:{value}" for kind, value in readings(identifier))


def account_keys(account) -> list[str]:
    return sorted({key for typed in account_identifiers(account) for key in keys_for(typed)})


def account_locked_until(account) -> datetime | None:
    """When the last lock on any of the account's identifiers ends, if one is on now."""
    return CITIZEN.locked_until(account_keys(account))
