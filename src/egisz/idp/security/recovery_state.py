"""Where a password recovery stands, kept in the (anonymous) session between its steps.

The state names the contact the code went to and, once the code is confirmed, the one
account it proved: the new-password step sets that account's password and no other.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from egisz.common.flow.session_plans import SessionPlan, now_iso
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
    # The account the contact's code proved when an authenticator app is enrolled: the
    # app's code (or a recovery code) must follow before the new-password step opens.
    app_account_id: int | None = None

    def verified_account_id(self) -> int | None:
        """The account whose password may be set now, or None."""
        if self.account_id is None or not self.verified_at:
            return None
        if timezone.now() - datetime.fromisoformat(self.verified_at) > VERIFIED_TTL:
            return None
        return self.account_id


PLAN = SessionPlan(SESSION_KEY, RecoveryState, FLOW_TTL)


def start(request, *, target: str, channel: str) -> RecoveryState:
    """A new recovery replaces any earlier one, verified or not, under a new session key."""
    state = RecoveryState(target=target, channel=channel, started_at=now_iso())
    sessions.cycle_key(request)
    PLAN.save(request, state)
    return state


load = PLAN.load


def mark_verified(request, state: RecoveryState, *, account_id: int) -> None:
    """The code is confirmed: this browser may now set the account's password. It does so
    under a new session key, so a key planted or seen before the code is useless."""
    sessions.cycle_key(request)
    state.account_id = account_id
    state.verified_at = now_iso()
    PLAN.save(request, state)


def await_app_code(request, state: RecoveryState, *, account_id: int) -> None:
    """The contact's code is confirmed for an account with an authenticator app: its code
    (or a recovery code) comes next."""
    state.app_account_id = account_id
    PLAN.save(request, state)


clear = PLAN.clear
