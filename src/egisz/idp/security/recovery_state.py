"""Where a password recovery stands, kept in the (anonymous) session between its steps.

The state names the contact the code went to and, once the code is confirmed, the one
account it proved: the new-password step sets that account's password and no other.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from egisz.idp.authn import sessions

SESSION_KEY = "egisz_recovery"
# The whole recovery (codes included) must fit in this time.
FLOW_TTL = timedelta(minutes=15)
# A confirmed code opens the new-password step for this long only.
VERIFIED_TTL = timedelta(minutes=10)


@dataclass
class RecoveryState:
    target: str  # where the code went: a normalised phone or e-mail
    channel: str  # "sms" or "email"
    started_at: str
    account_id: int | None = None  # set once the code is confirmed
    verified_at: str | None = None

    def expired(self) -> bool:
        return timezone.now() - datetime.fromisoformat(self.started_at) > FLOW_TTL

    def verified_account_id(self) -> int | None:
        """The account whose password may be set now, or None."""
        if self.account_id is None or not self.verified_at:
            return None
        if timezone.now() - datetime.fromisoformat(self.verified_at) > VERIFIED_TTL:
            return None
        return self.account_id


def start(request, *, target: str, channel: str) -> RecoveryState:
    """A new recovery replaces any earlier one, verified or not, under a new session key."""
    state = RecoveryState(target=target, channel=channel, started_at=timezone.now().isoformat())
    sessions.cycle_key(request)
    request.session[SESSION_KEY] = asdict(state)
    return state


def load(request) -> RecoveryState | None:
    raw = request.session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        state = RecoveryState(**raw)
        expired = state.expired()
    except (TypeError, ValueError):
        clear(request)
        return None
    if expired:
        clear(request)
        return None
    return state


def mark_verified(request, state: RecoveryState, *, account_id: int) -> None:
    """The code is confirmed: this browser may now set the account's password. It does so
    under a new session key, so a key planted or seen before the code is useless."""
    sessions.cycle_key(request)
    state.account_id = account_id
    state.verified_at = timezone.now().isoformat()
    request.session[SESSION_KEY] = asdict(state)


def clear(request) -> None:
    request.session.pop(SESSION_KEY, None)
