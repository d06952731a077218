"""Per-username lockout of the operator console's login.

After ``OPERATOR_LOCKOUT_THRESHOLD`` failures for one username within
``OPERATOR_LOCKOUT_WINDOW_MINUTES``, that username is refused for
``OPERATOR_LOCKOUT_MINUTES``, whether or not such a user exists (the answer is the same).
State lives in Django's cache (Redis or the database table), shared by every process, under
a hash of the username as authentication reads it (``login_name``). Times are kept inside
the value and compared with the clock, so the rules do not depend on the cache backend's own
expiry (which only tidies up).
"""

import hashlib
import time

from django.conf import settings
from django.contrib.auth.forms import UsernameField
from django.core.cache import cache

from egisz.cabinet.staff.journal import shown_username
from egisz.common.audit.services import record_event
from egisz.common.request_meta import RequestMeta


def login_name(username) -> str:
    """The username as Django's login form hands it to authentication (stripped, NFKC:
    «ｏperator» in full-width letters is «operator»), case-folded: every spelling that can
    log in as one user, and a few that cannot, share one budget."""
    return UsernameField().to_python(str(username or "")).casefold()


def _key(username: str) -> str:
    digest = hashlib.sha256(login_name(username).encode()).hexdigest()
    return f"operator-login-lockout:{digest}"


def _window() -> int:
    return settings.OPERATOR_LOCKOUT_WINDOW_MINUTES * 60


def _lock() -> int:
    return settings.OPERATOR_LOCKOUT_MINUTES * 60


def _store(key: str, state: dict) -> None:
    cache.set(key, state, timeout=_window() + _lock() + 60)


def is_locked(username: str) -> bool:
    state = cache.get(_key(username)) or {}
    return (state.get("locked_until") or 0) > time.time()


def register_failure(username: str, *, meta: RequestMeta) -> bool:
    """Count one failed attempt for ``username``; True when it has just been locked."""
    key, now = _key(username), time.time()
    state = cache.get(key) or {}
    failures = [at for at in state.get("failures", []) if at > now - _window()]
    failures.append(now)
    if len(failures) < settings.OPERATOR_LOCKOUT_THRESHOLD:
        _store(key, {"failures": failures, "locked_until": None})
        return False
    _store(key, {"failures": [], "locked_until": now + _lock()})
    record_event(
        action="cabinet.staff_login_locked",
        meta=meta,
        success=False,
        username=shown_username(username),
        minutes=settings.OPERATOR_LOCKOUT_MINUTES,
    )
    return True


def clear(username: str) -> None:
    """Forget the failures of ``username`` (after a successful login)."""
    cache.delete(_key(username))
