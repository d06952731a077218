"""The login plan: what a half-finished login has proven so far, kept in the session.

Stages (password → second factor → required actions) each read and advance it, in the
manner of authentik's flows. A plan older than PLAN_TTL is discarded.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

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

    def expired(self) -> bool:
        return timezone.now() - datetime.fromisoformat(self.started_at) > PLAN_TTL


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
    plan = LoginPlan(
        account_id, timezone.now().isoformat(), next_url, factor, has_app, lock_keys, kind
    )
    request.session[SESSION_KEY] = asdict(plan)
    return plan


def load(request) -> LoginPlan | None:
    raw = request.session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        plan = LoginPlan(**raw)
    except TypeError:
        return None
    if plan.expired():
        clear(request)
        return None
    return plan


def save(request, plan: LoginPlan) -> None:
    request.session[SESSION_KEY] = asdict(plan)


def clear(request) -> None:
    request.session.pop(SESSION_KEY, None)


def safe_next(request, candidate: str | None, default: str) -> str:
    """Only local paths: an open redirect after login is a phishing tool."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
