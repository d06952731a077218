"""Tracking logged-in browser sessions so the owner can see and end them.

A session that ends tells the services it logged in to (egisz.idp.oidc.signout): the
tokens issued in it are revoked and each service gets a back-channel logout token. When the
whole account is signed out (a new password, «Завершить все сеансы, кроме текущего»,
blocking) the caller signs the account out at every service instead, once.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.sessions.backends.base import SessionBase
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from egisz.common.request_meta import SYSTEM, RequestMeta
from egisz.idp.authn.models import AccountSession
from egisz.idp.oidc import signout
from egisz.idp.oidc.models import SignOutReason

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


def touch_sessions(records, *, now) -> None:
    """A service used tokens of these sessions (a queryset): that is activity too, so the
    session does not expire under a citizen who is busy at the service."""
    AccountSession.objects.filter(
        pk__in=records, ended_at__isnull=True, last_activity__lt=now - TOUCH_EVERY
    ).update(last_activity=now)


def idle_cutoff(now):
    return now - timedelta(minutes=settings.SESSION_IDLE_MINUTES)


def lifetime_cutoff(now):
    return now - timedelta(hours=settings.SESSION_MAX_HOURS)


def active_sessions(account):
    """Sessions still usable: not ended, and neither idle nor older than their lifetime
    (a browser that simply went away never comes back to be told it expired)."""
    now = timezone.now()
    return AccountSession.objects.filter(
        account=account,
        ended_at__isnull=True,
        last_activity__gt=idle_cutoff(now),
        started_at__gt=lifetime_cutoff(now),
    ).order_by("-last_activity")


def expired_sessions(now):
    """Sessions not ended yet that are idle or past their lifetime."""
    return AccountSession.objects.filter(ended_at__isnull=True).filter(
        models.Q(last_activity__lte=idle_cutoff(now))
        | models.Q(started_at__lte=lifetime_cutoff(now))
    )


def recently_used(request, *, now) -> bool:
    """This browser's session was used within the idle time, here or by a service with
    its tokens."""
    key = request.session.session_key
    return (
        bool(key)
        and AccountSession.objects.filter(
            session_key=key, ended_at__isnull=True, last_activity__gt=idle_cutoff(now)
        ).exists()
    )


def _close(record: AccountSession) -> None:
    """The session's server-side data is deleted (the browser is logged out) and its
    record marked ended."""
    _session_store()().delete(record.session_key)
    if record.ended_at is None:
        record.ended_at = timezone.now()
        record.save(update_fields=["ended_at"])


@transaction.atomic
def end_session(
    record: AccountSession, *, reason: SignOutReason, meta: RequestMeta = SYSTEM
) -> None:
    """End one session; the services it logged in to are told."""
    _close(record)
    signout.session_ended(record, reason=reason, meta=meta)


def end_all_sessions(account, *, except_key: str | None = None) -> int:
    """End every session of ``account`` but the one with ``except_key``. The services are
    not told here: the caller signs the account out at every service at once."""
    # Every record not yet ended, including idle ones whose data may still be stored.
    records = list(
        AccountSession.objects.filter(account=account, ended_at__isnull=True).exclude(
            session_key=except_key or ""
        )
    )
    for record in records:
        _close(record)
    return len(records)


def current_session(request) -> AccountSession | None:
    """The record of this browser's session, while it has not ended."""
    key = request.session.session_key
    if not key:
        return None
    return AccountSession.objects.filter(session_key=key, ended_at__isnull=True).first()


@transaction.atomic
def end_current_session(request, *, reason: SignOutReason, initiator=None) -> AccountSession | None:
    """The record of this browser's session ends (the caller logs the browser out, which
    deletes the session's data) and the services it logged in to are told."""
    record = current_session(request)
    if record is None:
        return None
    record.ended_at = timezone.now()
    record.save(update_fields=["ended_at"])
    signout.session_ended(
        record, reason=reason, initiator=initiator, meta=RequestMeta.from_request(request)
    )
    return record


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
