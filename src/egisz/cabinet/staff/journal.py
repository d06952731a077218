"""Staff logins in the audit journal, from Django's auth signals.

``cabinet.staff_login`` means the whole two-step login (password, then the SMS code); the
code step's own events (sent, not sent, refused) are written by services.py.

Only the operator console's login is journalled here: the view marks its request
(``mark_operator_login``), so a patient's login through the provider (which has its own
events) is left alone. The password never reaches the journal: only the username typed,
truncated.
"""

from egisz.cabinet.audit_actions import CabinetAction
from egisz.common.audit.services import record_event
from egisz.common.request_meta import SYSTEM, RequestMeta

USERNAME_IN_JOURNAL = 64
_OPERATOR_LOGIN = "_egisz_operator_login"
_FAILURE_JOURNALLED = "_egisz_operator_login_failure_journalled"


def mark_operator_login(request) -> None:
    setattr(request, _OPERATOR_LOGIN, True)


def is_operator_login(request) -> bool:
    return request is not None and getattr(request, _OPERATOR_LOGIN, False)


def failure_journalled(request) -> bool:
    return getattr(request, _FAILURE_JOURNALLED, False)


def shown_username(username) -> str:
    return str(username or "").strip()[:USERNAME_IN_JOURNAL]


def record_failure(request, *, username, reason: str) -> None:
    """``cabinet.staff_login_failed`` for one refused attempt at the console's login."""
    setattr(request, _FAILURE_JOURNALLED, True)
    record_event(
        action=CabinetAction.STAFF_LOGIN_FAILED,
        meta=RequestMeta.from_request(request),
        success=False,
        username=shown_username(username),
        reason=reason,
    )


# --- signal receivers (connected in StaffConfig.ready) -------------------------------------


def staff_logged_in(sender, request, user, **kwargs):
    if not is_operator_login(request) or not user.is_staff:
        return
    # Only the code step logs a member of staff in (views.py): password and SMS code both passed.
    record_event(
        action=CabinetAction.STAFF_LOGIN,
        meta=RequestMeta.from_request(request),
        actor=user,
        factors="password+sms",
    )


def staff_login_failed(sender, credentials, request=None, **kwargs):
    if not is_operator_login(request):
        return
    # ``credentials`` has the password already masked by Django; only the username is kept.
    record_failure(request, username=credentials.get("username"), reason="bad_credentials")


def staff_logged_out(sender, request, user, **kwargs):
    if user is None or not user.is_staff:
        return
    meta = RequestMeta.from_request(request) if request is not None else SYSTEM
    record_event(action=CabinetAction.STAFF_LOGOUT, meta=meta, actor=user)
