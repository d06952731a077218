"""The login plan: the stages a half-finished login still has to pass, kept in the session.

The password step builds it from the policy (policy.py): the stages that follow the
password, and the other ways the code page may offer. Each stage (stages.py) is passed in
turn; when none is left, the login is finished (services.finish_login). A plan older than
PLAN_TTL is discarded.
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
    # Names of the stages still to pass, the current one first, and of those passed.
    stages: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    # The ways the code page offers instead of the current one: {name: its stages}.
    ways: dict[str, list[str]] = field(default_factory=dict)
    # The lock keys of the identifier typed, and which of the account's identifiers it was:
    # wrong codes count towards that identifier's lock (authn/lockout.py).
    lock_keys: list[str] = field(default_factory=list)
    kind: str = ""

    @property
    def current(self) -> str:
        return self.stages[0] if self.stages else ""

    @property
    def strong_enrolled(self) -> bool:
        """A strong authenticator is enrolled: the policy offered other ways."""
        return bool(self.ways)


PLAN = SessionPlan(SESSION_KEY, LoginPlan, PLAN_TTL)


def start(request, *, account_id, next_url, stages, ways, lock_keys, kind) -> LoginPlan:
    plan = LoginPlan(
        account_id,
        now_iso(),
        next_url,
        stages=list(stages),
        ways=dict(ways),
        lock_keys=list(lock_keys),
        kind=kind,
    )
    PLAN.save(request, plan)
    return plan


load = PLAN.load
save = PLAN.save
clear = PLAN.clear
