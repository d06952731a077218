"""Session lifetime (idle and absolute, as the provider's), the provider's back-channel
logout, and the periodic provider-grant check."""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.storage import default_storage
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.cabinet.portal.limited import limited_mode
from egisz.cabinet.sso import services
from egisz.cabinet.sso.session import GRANT_KEY, IDLE_KEY, LINK_KEY, STARTED_KEY, parse_moment
from egisz.common.request_meta import RequestMeta

# Paths no session rule applies to (assets, health probes, language switch, demo tools).
EXEMPT_PREFIXES = ("/static/", "/healthz", "/i18n/", "/dev/")


def _exempt(request) -> bool:
    return request.path.startswith(EXEMPT_PREFIXES)


def _sso_prefix() -> str:
    return reverse("sso:login").rsplit("/", 2)[0] + "/"


class SessionLifetimeMiddleware:
    """Ends a logged-in or limited-mode session idle for SESSION_IDLE_MINUTES or older than
    SESSION_MAX_HOURS, and shows «Сессия истекла» (401) with a way back to the page the
    person was on. A session without markers (made some other way) starts counting now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _exempt(request) and (
            request.user.is_authenticated or limited_mode(request) is not None
        ):
            why = self._expired(request)
            if why:
                return self._end(request, why)
            self._touch(request)
        return self.get_response(request)

    @staticmethod
    def _expired(request) -> str:
        now = timezone.now()
        last = parse_moment(request.session.get(IDLE_KEY))
        started = parse_moment(request.session.get(STARTED_KEY))
        if last and now - last > timedelta(minutes=settings.SESSION_IDLE_MINUTES):
            return "idle"
        if started and now - started > timedelta(hours=settings.SESSION_MAX_HOURS):
            return "absolute"
        return ""

    @staticmethod
    def _touch(request) -> None:
        now = timezone.now().isoformat()
        request.session[IDLE_KEY] = now
        request.session.setdefault(STARTED_KEY, now)

    @staticmethod
    def _end(request, why: str):
        next_url = request.get_full_path() if request.method == "GET" else ""
        services.end_session(
            action=services.SESSION_EXPIRED,
            user=request.user,
            grant_id=request.session.get(GRANT_KEY),
            link_id=request.session.get(LINK_KEY),
            meta=RequestMeta.from_request(request),
            reason=why,
        )
        logout(request)
        login_url = reverse(settings.LOGIN_URL)
        if next_url:
            login_url += "?" + urlencode({"next": next_url})
        return render(request, "errors/session_expired.html", {"login_url": login_url}, status=401)


class ProviderLogoutMiddleware:
    """A session opened through the provider (full access or limited mode) whose provider
    session has ended — a back-channel logout deleted its link row — is logged out at its
    next request: back to «Главная» with a word on why. One primary-key lookup per request
    in the database every process shares."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The login's own pages replace the session anyway: a callback coming back from a
        # new login at the provider must not be turned away for the old one.
        skip = _exempt(request) or request.path.startswith(_sso_prefix())
        link_id = None if skip else request.session.get(LINK_KEY)
        if link_id and not services.session_link_alive(link_id):
            logout(request)
            return _home_with_warning(
                request,
                _(
                    "Госуслуги сообщили, что ваш сеанс там завершён (выход, смена пароля "
                    "или отзыв доступа к данным), поэтому сеанс кабинета тоже завершён. "
                    "Чтобы продолжить, войдите снова."
                ),
            )
        return self.get_response(request)


class GrantCheckMiddleware:
    """Every OIDC_GRANT_CHECK_SECONDS (0: every request; None: never) a logged-in session
    asks the provider whether its grant still stands; a grant the provider no longer
    honours (consent withdrawn, tokens revoked) ends the cabinet session at once.

    A fallback: the provider's back-channel logout (ProviderLogoutMiddleware) ends sessions
    at once when the provider sends it; this check catches what it does not send, or what
    did not arrive. The grant row itself is read on every request, so a grant deleted
    elsewhere ends the session at the next one; only the call to the provider is periodic.

    Fail-open: when the provider cannot be asked, the session goes on (and a warning is
    logged), so an outage of the provider does not log every patient out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        interval = settings.OIDC_GRANT_CHECK_SECONDS
        if interval is not None and not _exempt(request) and request.user.is_authenticated:
            grant_id = request.session.get(GRANT_KEY)
            # Sessions not opened through the provider (the operator console) have no grant.
            if grant_id:
                status = services.check_grant(
                    grant_id=grant_id, user=request.user, interval=int(interval)
                )
                if status == services.GRANT_REVOKED_STATUS:
                    return self._end(request, grant_id)
        return self.get_response(request)

    @staticmethod
    def _end(request, grant_id):
        services.end_session(
            action=services.GRANT_REVOKED,
            user=request.user,
            grant_id=grant_id,
            link_id=request.session.get(LINK_KEY),
            meta=RequestMeta.from_request(request),
        )
        logout(request)
        return _home_with_warning(
            request,
            _(
                "Доступ к данным отозван на Госуслугах, сеанс кабинета завершён. "
                "Чтобы продолжить, войдите снова."
            ),
        )


def _home_with_warning(request, text: str):
    """«Главная» after a session ended early, with ``text`` shown there. MessageMiddleware
    sits deeper in the stack and does not see this early answer: the message is stored
    here (in the new session or a cookie)."""
    storage = default_storage(request)
    storage.add(messages.WARNING, text)
    response = redirect("portal:home")
    storage.update(response)
    return response
