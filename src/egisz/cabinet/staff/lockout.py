"""Per-username lockout of the operator console's login, on egisz.common.flow.lockout.

After ``OPERATOR_LOCKOUT_THRESHOLD`` failures for one username, each within
``OPERATOR_LOCKOUT_WINDOW_MINUTES`` of the one before, that username is refused for
``OPERATOR_LOCKOUT_MINUTES``, whether or not such a user exists (the answer is the same).
One row per username as authentication reads it (``login_name``), under a keyed hash; the
password and code steps hold it for their whole check, so guesses in flight when the lock
is set are refused after it.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.forms import UsernameField

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.staff.journal import shown_username
from egisz.common.audit.services import record_event
from egisz.common.flow.lockout import Held, Lockout
from egisz.common.request_meta import RequestMeta

STAFF = Lockout(
    "egisz.cabinet.staff.lockout",
    threshold=lambda: settings.OPERATOR_LOCKOUT_THRESHOLD,
    window=lambda: timedelta(minutes=settings.OPERATOR_LOCKOUT_WINDOW_MINUTES),
    duration=lambda: timedelta(minutes=settings.OPERATOR_LOCKOUT_MINUTES),
)


def login_name(username) -> str:
    """The username as Django's login form hands it to authentication (stripped, NFKC:
    «ｏperator» in full-width letters is «operator»), case-folded: every spelling that can
    log in as one user, and a few that cannot, share one budget."""
    return UsernameField().to_python(str(username or "")).casefold()


def keys(username) -> list[str]:
    return [STAFF.key(login_name(username))]


def hold(username) -> Held:
    """The username's row, locked until the caller's transaction ends."""
    return STAFF.hold(keys(username))


def count_failure(held: Held, username, *, meta: RequestMeta) -> bool:
    """Count one failed attempt; True when it has just locked the username (journalled)."""
    if STAFF.count_failure(held) is None:
        return False
    record_event(
        action=CabinetAction.STAFF_LOGIN_LOCKED,
        meta=meta,
        success=False,
        username=shown_username(username),
        minutes=settings.OPERATOR_LOCKOUT_MINUTES,
    )
    return True
