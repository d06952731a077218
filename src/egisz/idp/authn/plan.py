"""The login plan: what a half-finished login has proven so far, kept in the session.

Stages (password → second factor → required actions) each read and advance it, in the
manner of authentik's flows. A plan older than PLAN_TTL is discarded.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from egisz.common.flow.session_plans import SessionPlan, now_iso

SESSION_KEY = "egisz_login_plan"
PLAN_TTL = timedelta(minutes=10)


@dataclass
class LoginPlan:
    account_id: int
    started_at: str
    next_url: str
    factor: str
    # Whether an authenticator app is enrolled, known from the password step.
    has_app: bool = False
    # The lock keys of the identifier typed, and which of the account's identifiers it was:
    # wrong codes count towards that identifier's lock (authn/lockout.py).
    lock_keys: list[str] = field(default_factory=list)
    kind: str = ""


PLAN = SessionPlan(SESSION_KEY, LoginPlan, PLAN_TTL)


def start(
    request,
    *,
    account_id: int,
    next_url: str,
    factor: str,
    has_app: bool,
    lock_keys: list[str],
    kind: str,
) -> LoginPlan:
    plan = LoginPlan(account_id, now_iso(), next_url, factor, has_app, lock_keys, kind)
    PLAN.save(request, plan)
    return plan


load = PLAN.load
save = PLAN.save
clear = PLAN.clear
