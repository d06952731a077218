"""A half-finished console login: who passed the password step, when, and where they were
going. Kept in that browser's session only (the session key is rotated when it starts), and
valid PENDING_TTL from the password step; a new code does not extend it."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.utils import timezone

SESSION_KEY = "egisz_operator_login_pending"
WAIT_KEY = "egisz_operator_login_code_wait"
PENDING_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class PendingLogin:
    user_id: int
    started_at: str
    next_url: str

    def expired(self) -> bool:
        return timezone.now() - datetime.fromisoformat(self.started_at) > PENDING_TTL


def start(request, *, user_id: int, next_url: str) -> PendingLogin:
    # The pending login lives under a fresh key: a session id known before the password
    # was typed is worth nothing afterwards.
    request.session.cycle_key()
    pending = PendingLogin(user_id, timezone.now().isoformat(), next_url)
    request.session[SESSION_KEY] = asdict(pending)
    request.session.pop(WAIT_KEY, None)
    return pending


def load(request) -> tuple[PendingLogin | None, bool]:
    """The pending login of this session, and whether one was there but has expired."""
    raw = request.session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return None, False
    try:
        pending = PendingLogin(**raw)
        expired = pending.expired()
    except (TypeError, ValueError):
        clear(request)
        return None, False
    if expired:
        clear(request)
        return None, True
    return pending, False


def clear(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(WAIT_KEY, None)
