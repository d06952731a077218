"""A half-finished console login — the plan of its stages: who passed the password step,
when, where they were going, and the stages still to pass (staff/stages.py). Kept in that
browser's session only (the session key is rotated when it starts), and valid PENDING_TTL
from the password step; a new code does not extend it."""

from dataclasses import dataclass, field
from datetime import timedelta

from egisz.common.flow.session_plans import SessionPlan, now_iso

SESSION_KEY = "egisz_operator_login_pending"
WAIT_KEY = "egisz_operator_login_code_wait"
PENDING_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class PendingLogin:
    user_id: int
    started_at: str
    next_url: str
    stages: list[str] = field(default_factory=list)


PLAN = SessionPlan(SESSION_KEY, PendingLogin, PENDING_TTL, extra_keys=[WAIT_KEY])


def start(request, *, user_id: int, next_url: str, stages: list[str]) -> PendingLogin:
    # The pending login lives under a fresh key: a session id known before the password
    # was typed is worth nothing afterwards.
    request.session.cycle_key()
    PLAN.clear(request)
    pending = PendingLogin(user_id, now_iso(), next_url, list(stages))
    PLAN.save(request, pending)
    return pending


def load(request) -> tuple[PendingLogin | None, bool]:
    """The pending login of this session, and whether one was there but has expired."""
    return PLAN.load_or_expired(request)


save = PLAN.save
clear = PLAN.clear
