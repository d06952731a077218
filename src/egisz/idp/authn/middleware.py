"""Session lifetime (idle and absolute) and required actions after login."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from egisz.idp.authn import services, sessions

IDLE_KEY = "egisz_last_activity"
STARTED_KEY = "egisz_started_at"


class SessionLifetimeMiddleware:
    """Ends a session idle for SESSION_IDLE_MINUTES or older than SESSION_MAX_HOURS, and
    shows «Сессия истекла» with a way back to the page the person was on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            expired = self._expired(request)
            if expired:
                next_url = request.get_full_path() if request.method == "GET" else ""
                services.expire_current_session(request)
                logout(request)
                login_url = reverse(settings.LOGIN_URL)
                if next_url:
                    login_url += "?" + _next_query(next_url)
                return render(
                    request, "errors/session_expired.html", {"login_url": login_url}, status=401
                )
            self._touch(request)
        return self.get_response(request)

    @staticmethod
    def _expired(request) -> bool:
        now = timezone.now()
        session = request.session
        last = _parse(session.get(IDLE_KEY))
        started = _parse(session.get(STARTED_KEY))
        if started and now - started > timedelta(hours=settings.SESSION_MAX_HOURS):
            return True
        if last and now - last > timedelta(minutes=settings.SESSION_IDLE_MINUTES):
            # Idle in this browser, but a service may have used the session's tokens in
            # the meantime (the expiry sweep counts that as activity too).
            return not sessions.recently_used(request, now=now)
        return False

    @staticmethod
    def _touch(request) -> None:
        now = timezone.now()
        request.session[IDLE_KEY] = now.isoformat()
        request.session.setdefault(STARTED_KEY, now.isoformat())
        sessions.touch_session(request, now=now)


class RequiredActionMiddleware:
    """An account with a temporary password may do nothing but change it (and log out)."""

    ALLOWED_PREFIXES = ("/static/", "/healthz", "/logout", "/i18n/", "/dev/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.must_change_password
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and request.path != reverse("authn:temporary_password")
        ):
            return redirect("authn:temporary_password")
        return self.get_response(request)


def mark_session_start(request) -> None:
    """The absolute lifetime counts from the moment the login completed."""
    now = timezone.now().isoformat()
    request.session[STARTED_KEY] = now
    request.session[IDLE_KEY] = now


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _next_query(next_url: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": next_url})
