"""Tracking logged-in browser sessions so the owner can see and end them."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django.utils.module_loading import import_string

from egisz.common.request_meta import RequestMeta
from egisz.idp.authn.models import AccountSession

# Writing last_activity on every request would make every page a database write.
TOUCH_EVERY = timedelta(seconds=60)


def _session_store() -> type[SessionBase]:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")


def start_session(*, request, account, method: str, meta: RequestMeta) -> AccountSession:
    """Record the session that login() has just created (its key is already cycled)."""
    if not request.session.session_key:
        request.session.save()
    return AccountSession.objects.create(
        account=account,
        session_key=request.session.session_key,
        ip=meta.ip,
        user_agent=meta.user_agent,
        method=method,
    )


def touch_session(request, *, now) -> None:
    key = request.session.session_key
    if not key:
        return
    AccountSession.objects.filter(
        session_key=key, ended_at__isnull=True, last_activity__lt=now - TOUCH_EVERY
    ).update(last_activity=now)


def active_sessions(account):
    """Sessions still usable: not ended, and neither idle nor older than their lifetime
    (a browser that simply went away never comes back to be told it expired)."""
    now = timezone.now()
    return AccountSession.objects.filter(
        account=account,
        ended_at__isnull=True,
        last_activity__gt=now - timedelta(minutes=settings.SESSION_IDLE_MINUTES),
        started_at__gt=now - timedelta(hours=settings.SESSION_MAX_HOURS),
    ).order_by("-last_activity")


def end_session(record: AccountSession) -> None:
    """End one session: its server-side data is deleted, so the browser is logged out."""
    _session_store()().delete(record.session_key)
    if record.ended_at is None:
        record.ended_at = timezone.now()
        record.save(update_fields=["ended_at"])


def end_all_sessions(account, *, except_key: str | None = None) -> int:
    # Every record not yet ended, including idle ones whose data may still be stored.
    records = list(
        AccountSession.objects.filter(account=account, ended_at__isnull=True).exclude(
            session_key=except_key or ""
        )
    )
    for record in records:
        end_session(record)
    return len(records)


def end_current_session(request) -> None:
    key = request.session.session_key
    if key:
        AccountSession.objects.filter(session_key=key, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )


def cycle_key(request) -> None:
    """A new session key for what this browser may do from now on (a step that raised it):
    a key known to someone else before the step is worth nothing after it. The data stays;
    a logged-in session's record follows the key, so it can still be listed and ended."""
    old_key = request.session.session_key
    request.session.cycle_key()
    if old_key:
        AccountSession.objects.filter(session_key=old_key).update(
            session_key=request.session.session_key
        )


def keep_logged_in(request, account) -> None:
    """After the owner's own password change: stay logged in under a new session key."""
    old_key = request.session.session_key
    update_session_auth_hash(request, account)
    AccountSession.objects.filter(session_key=old_key).update(
        session_key=request.session.session_key
    )


AUTH_KEY = "egisz_auth"


def remember_authentication(request, *, account, amr: list[str]) -> None:
    """How and when this session's login happened, for relying parties (OpenID Connect
    auth_time, amr, acr): read back with authentication_of(request)."""
    request.session[AUTH_KEY] = {
        "time": int(timezone.now().timestamp()),
        "amr": amr,
        "level": account.level,
    }


def authentication_of(request) -> dict | None:
    value = request.session.get(AUTH_KEY)
    return value if isinstance(value, dict) else None
