"""«Войти через Госуслуги»: the login (to the provider), the callback (back from it), the
logout (through it) and the provider's back-channel logout."""

import logging

from django.contrib.auth import login, logout
from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from egisz.cabinet.patients.access import current_patient
from egisz.cabinet.portal.limited import (
    LEVEL,
    REFUSED,
    enter_limited_mode,
    leave_limited_mode,
    limited_mode,
)
from egisz.cabinet.sso import client, services
from egisz.cabinet.sso.session import (
    GRANT_KEY,
    LINK_KEY,
    mark_session_start,
    pop_pending,
    remember_pending,
    safe_next,
)
from egisz.common.request_meta import RequestMeta

log = logging.getLogger(__name__)

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    """GET: to the provider. POST with consent=1 (the limited-mode page's «Дать согласие»):
    to the provider again, asking it to show the consent screen (prompt=consent)."""
    source = request.POST if request.method == "POST" else request.GET
    next_url = safe_next(source.get("next"))
    if current_patient(request) is not None:
        return redirect(next_url or "portal:home")
    prompt = "consent" if request.method == "POST" and source.get("consent") == "1" else None
    try:
        authorization = client.authorization_request(prompt=prompt)
    except client.ProviderUnavailable as exc:
        log.warning("login: the provider is unavailable (%s)", exc)
        return _unavailable(request)
    remember_pending(
        request,
        state=authorization.state,
        nonce=authorization.nonce,
        code_verifier=authorization.code_verifier,
        next_url=next_url,
    )
    return redirect(authorization.url)


@never_cache
@require_http_methods(["GET"])
def callback_view(request):
    """Back from the provider: ?code&state, or ?error&state."""
    meta = RequestMeta.from_request(request)
    pending, reason = pop_pending(request, request.GET.get("state"))
    if pending is None:
        return _refuse(request, reason, meta)
    error = request.GET.get("error")
    if error:
        if error == "access_denied":
            services.record_consent_refused(meta=meta)
            _fresh_session(request)
            enter_limited_mode(request, reason=REFUSED)
            mark_session_start(request)
            return redirect("portal:home")
        return _refuse(request, f"provider_error:{error[:60]}", meta)
    code = request.GET.get("code")
    if not code:
        return _refuse(request, "code_missing", meta)
    try:
        result = services.complete_login(
            code=code, nonce=pending["nonce"], code_verifier=pending["verifier"], meta=meta
        )
    except services.LoginRefused as exc:
        return _refuse(request, exc.reason, meta)
    except client.ProviderUnavailable as exc:
        log.warning("callback: the provider is unavailable (%s)", exc)
        services.record_login_failure(reason="provider_unavailable", meta=meta)
        return _unavailable(request)

    if isinstance(result, services.LimitedLogin):
        _fresh_session(request)
        enter_limited_mode(request, reason=LEVEL, level=result.level)
        request.session[LINK_KEY] = result.link.pk
        mark_session_start(request)
        return redirect("portal:home")

    _close_previous_login(request)
    login(request, result.patient.user, backend=AUTH_BACKEND)  # rotates the session key
    leave_limited_mode(request)
    request.session[GRANT_KEY] = result.grant.pk
    request.session[LINK_KEY] = result.link.pk
    mark_session_start(request)
    if result.created or result.patient.profile_completed_at is None:
        return redirect("profile:complete")
    return redirect(pending.get("next") or "portal:home")


@require_POST
def logout_view(request):
    """«Выйти»: the cabinet session ends here, then the provider's session through its
    RP-initiated logout (it sends the browser back to the cabinet's «Главная»).

    The browser goes to the provider with a plain GET redirect that names the session by
    client_id and logout_hint — never the ID token, which browser history and server logs
    would keep (see README, «ЕГИСЗ cabinet»)."""
    meta = RequestMeta.from_request(request)
    grant_id = request.session.get(GRANT_KEY)
    link_id = request.session.get(LINK_KEY)
    link = services.session_link(link_id)
    # Consent refused still left the citizen logged in at the provider: with no hint to
    # name them, the provider is asked by client id (it may ask them to confirm).
    signed_in = (
        request.user.is_authenticated or link is not None or limited_mode(request) is not None
    )
    if signed_in:
        services.end_session(
            action=services.LOGOUT,
            user=request.user,
            grant_id=grant_id,
            link_id=link_id,
            meta=meta,
        )
    logout(request)  # flushes the session
    target = client.end_session_url(link.logout_hint if link else None) if signed_in else None
    return redirect(target or "portal:home")


@csrf_exempt  # server to server: the provider has no cookie and no CSRF token
def backchannel_logout_view(request):
    """OpenID Connect Back-Channel Logout 1.0 (§2.5, §2.8): the provider POSTs a logout
    token as the form field logout_token; 200 when the token is accepted and the sessions it
    names are ended, else 400 with an OAuth error object. Never cached."""
    meta = RequestMeta.from_request(request)
    if request.method != "POST":
        response = _backchannel_error("invalid_request", "POST the logout_token.", status=405)
        response["Allow"] = "POST"
        return response
    try:
        values = request.POST.getlist("logout_token")
    except SuspiciousOperation:  # a body over the size or field limits
        values = []
    try:
        # Exactly one: a repeated parameter is a malformed request (RFC 6749 §3.1).
        services.backchannel_logout(logout_token=values[0] if len(values) == 1 else "", meta=meta)
    except services.LogoutTokenRefused as exc:
        return _backchannel_error(exc.error, f"The logout token is refused ({exc.reason}).")
    return _no_store(JsonResponse({}))


def _backchannel_error(error: str, description: str, *, status: int = 400):
    return _no_store(
        JsonResponse({"error": error, "error_description": description}, status=status)
    )


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _fresh_session(request) -> None:
    """A new session for a new outcome: whoever was logged in is not any more, and the
    session key changes."""
    _close_previous_login(request)
    if request.user.is_authenticated:
        logout(request)
    else:
        request.session.cycle_key()


def _close_previous_login(request) -> None:
    """A login over an earlier one: the old session's grant and provider link are not
    needed any more."""
    services.drop_previous_login(
        grant_id=request.session.pop(GRANT_KEY, None),
        link_id=request.session.pop(LINK_KEY, None),
        user=request.user,
    )


def _refuse(request, reason: str, meta: RequestMeta):
    services.record_login_failure(reason=reason, meta=meta)
    return render(request, "sso/auth_error.html", {"login_url": reverse("sso:login")}, status=400)


def _unavailable(request):
    return render(request, "sso/unavailable.html", {"login_url": reverse("sso:login")}, status=503)
