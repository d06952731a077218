"""The authorization endpoint, /oidc/authorize/: OpenID Connect code flow with consent.

django-oauth-toolkit (on oauthlib) validates the protocol and issues the code; this view
is the project's policy around it, checked in this order:

1. ``client_id`` and ``redirect_uri`` first, the URI compared with the registered ones as
   plain strings (OpenID Connect Core 3.1.2.1): a wrong one is never redirected to, the
   citizen sees an error page (400) instead.
2. Then the rest of the request; its errors go back to the redirect URI with ``state``:
   only ``response_type=code``, no request objects, scopes within what the client may
   ask, PKCE with S256 (required of public clients), well-formed ``max_age``,
   ``prompt`` and ``claims``. Unknown parameters are ignored.
3. Login: someone not logged in goes to /login/; ``prompt=login``, an exceeded
   ``max_age`` or a login of unknown age ask for a fresh login, once.
4. ``acr_values``: an account below the level asked for is told how to raise it and is
   not logged in to the client.
5. Consent: asked before the first login to a client, when it asks for more than the
   citizen agreed to, and on ``prompt=consent``. ``prompt=none`` never shows a page:
   ``login_required``, ``interaction_required`` or ``consent_required`` instead.
6. The code is issued by DOT with how the citizen logged in (``auth_context``: time,
   methods, level as acr, session), which the validator keeps for the ID token.

Every answer sent to the redirect URI, a code or an error, carries ``iss`` (RFC 9207).
A relying party may POST the request instead (OpenID Connect Core 3.1.2.1): it is
answered with a redirect to the same request as a GET (see ``_as_get``). A POST to the
request's own URL is the consent form's answer, and only that POST needs a CSRF token.
"""

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from django import forms
from django.conf import settings
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.views.base import BaseAuthorizationView
from oauthlib.common import INVALID_HEX_PATTERN
from oauthlib.oauth2.rfc6749 import errors

from egisz.common.request_meta import RequestMeta
from egisz.common.ui.middleware import policy_allowing_redirect_to
from egisz.idp.accounts.models import Level
from egisz.idp.authn import sessions
from egisz.idp.oidc import consent
from egisz.idp.oidc.claims import (
    ACR_BY_LEVEL,
    LEVEL_BY_ACR,
    LEVEL_ORDER,
    OFFLINE_ACCESS,
    consent_lines,
)
from egisz.idp.oidc.discovery import issuer
from egisz.idp.oidc.validators import EgiszValidator

log = logging.getLogger(__name__)

# Limits that keep garbage away from the database and the templates.
MAX_QUERY_LENGTH = 8192
MAX_CLAIMS_LENGTH = 4096
MAX_NONCE_LENGTH = 255  # DOT's Grant.nonce
MAX_LOGIN_HINT_LENGTH = 254
CLIENT_ID = re.compile(r"[\x21-\x7e]{1,100}")
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 4.2
MAX_AGE = re.compile(r"[0-9]{1,10}")
# Parameters that may appear once (RFC 6749 3.1); client_id and redirect_uri are checked
# before anything else.
SINGLE_PARAMETERS = (
    "response_type",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "code_challenge",
    "code_challenge_method",
    "claims",
    "acr_values",
    "ui_locales",
    "login_hint",
    "id_token_hint",
    "response_mode",
)


class BadClientRequest(Exception):
    """The client or its redirect URI cannot be trusted: shown, never redirected to."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# What the citizen reads on the error page for each reason.
BAD_REQUEST_REASONS = {
    "client": _("Сервис не зарегистрирован на Госуслугах или передал неверный идентификатор."),
    "redirect_uri": _(
        "Адрес, на который сервис просит вернуть вас после входа, не зарегистрирован. "
        "Чтобы ваши данные не попали на чужой сайт, вход остановлен."
    ),
    "malformed": _("Запрос повреждён или слишком длинный."),
}


@dataclass(frozen=True)
class AuthorizationRequest:
    """An authorization request whose client and redirect URI are trusted."""

    application: object
    redirect_uri: str
    state: str | None
    scopes: list[str]
    prompt: frozenset[str]
    max_age: int | None
    acr_values: list[str]
    login_hint: str
    id_token_hint: str | None
    language: str | None
    digest: str  # identifies the request across the login detour (prompt aside)

    def error(self, error: errors.OAuth2Error) -> OAuthToolkitError:
        """An error for the client, sent to its redirect URI with the state."""
        error.state = self.state
        return OAuthToolkitError(error=error, redirect_uri=self.redirect_uri)

    def error_url(self, error: errors.OAuth2Error) -> str:
        error.state = self.state
        separator = "&" if "?" in self.redirect_uri else "?"
        return with_issuer(self.redirect_uri + separator + error.urlencoded)


def with_issuer(uri: str) -> str:
    """An authorization response naming the issuer (RFC 9207), unless it already does:
    django-oauth-toolkit adds it to the code (COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS),
    not to errors."""
    if any(name == "iss" for name, _value in parse_qsl(urlsplit(uri).query)):
        return uri
    separator = "&" if "?" in uri else "?"
    return uri + separator + urlencode({"iss": issuer()})


def _values(query, name: str) -> list[str]:
    # A parameter sent without a value counts as omitted (RFC 6749 3.1).
    return [value for value in query.getlist(name) if value]


def _value(query, name: str) -> str | None:
    values = _values(query, name)
    return values[0] if values else None


def _trusted_client(request):
    """The application and redirect URI of the request, or BadClientRequest."""
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_LENGTH:
        raise BadClientRequest("malformed")
    query = request.GET
    client_ids = _values(query, "client_id")
    if len(client_ids) != 1 or not CLIENT_ID.fullmatch(client_ids[0]):
        raise BadClientRequest("client")
    application = (
        get_application_model()
        .objects.select_related("profile")
        .filter(client_id=client_ids[0])
        .first()
    )
    if application is None:
        raise BadClientRequest("client")
    redirect_uris = _values(query, "redirect_uri")
    if len(redirect_uris) != 1 or redirect_uris[0] not in application.redirect_uris.split():
        raise BadClientRequest("redirect_uri")
    return application, redirect_uris[0]


def _digest(query) -> str:
    """The same request before and after the login detour (which drops prompt=login)."""
    items = sorted((name, query.getlist(name)) for name in query if name != "prompt")
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:32]


def requested_language(request) -> str | None:
    """The first of ui_locales this site speaks (ru, en), if any."""
    available = dict(settings.LANGUAGES)
    ui_locales = request.GET.get("ui_locales", "")[:200]
    for tag in ui_locales.split():
        primary = tag.split("-")[0].lower()
        if primary in available:
            return primary
    return None


def _claims_acr_values(claims: dict) -> list[str]:
    """acr values asked for through the claims parameter (id_token.acr.value/values)."""
    requested = claims.get("id_token") or {}
    acr = requested.get("acr") if isinstance(requested, dict) else None
    if not isinstance(acr, dict):
        return []
    values = acr.get("values") if isinstance(acr.get("values"), list) else [acr.get("value")]
    return [value for value in values if isinstance(value, str)]


def parse_request(request, application, redirect_uri: str) -> AuthorizationRequest:
    """Check the rest of a request whose client and redirect URI are trusted; what is
    wrong is raised as OAuthToolkitError, for the client at its redirect URI."""
    query = request.GET
    states = _values(query, "state")
    state = states[0] if len(states) == 1 else None

    def refuse(error_class, description: str, **kwargs):
        error = error_class(description=description, state=state, **kwargs)
        raise OAuthToolkitError(error=error, redirect_uri=redirect_uri)

    for name in SINGLE_PARAMETERS:
        if len(_values(query, name)) > 1:
            refuse(errors.InvalidRequestError, f"Duplicate {name} parameter.")
    if INVALID_HEX_PATTERN.search(request.META.get("QUERY_STRING", "")) or any(
        "\x00" in value for _name, values in query.lists() for value in values
    ):
        refuse(errors.InvalidRequestError, "Malformed query string.")
    if _value(query, "request"):
        refuse(
            lambda **kw: errors.CustomOAuth2Error("request_not_supported", **kw),
            "Request objects are not supported.",
        )
    if _value(query, "request_uri"):
        refuse(
            lambda **kw: errors.CustomOAuth2Error("request_uri_not_supported", **kw),
            "The request_uri parameter is not supported.",
        )

    response_type = _value(query, "response_type")
    if response_type is None:
        refuse(errors.InvalidRequestError, "Missing response_type parameter.")
    if response_type != "code":
        refuse(
            errors.UnsupportedResponseTypeError,
            "Only the authorization code flow (response_type=code) is supported.",
        )
    response_mode = _value(query, "response_mode")
    if response_mode not in (None, "query"):
        refuse(errors.InvalidRequestError, "Only response_mode=query is supported.")

    scopes = list(dict.fromkeys((_value(query, "scope") or "").split()))
    if "openid" not in scopes:
        refuse(errors.InvalidScopeError, "The openid scope is required.")
    available = set(get_scopes_backend().get_available_scopes(application=application))
    if not set(scopes) <= available:
        refuse(errors.InvalidScopeError, "The client may not ask for some of these scopes.")

    challenge = _value(query, "code_challenge")
    if challenge is None:
        if application.client_type == application.CLIENT_PUBLIC:
            refuse(errors.InvalidRequestError, "Code challenge required (PKCE, S256).")
    else:
        if _value(query, "code_challenge_method") != "S256":
            refuse(errors.InvalidRequestError, 'Only code_challenge_method "S256" is supported.')
        if not CODE_CHALLENGE.fullmatch(challenge):
            refuse(errors.InvalidRequestError, "Malformed code_challenge.")

    max_age = _value(query, "max_age")
    if max_age is not None and not MAX_AGE.fullmatch(max_age):
        refuse(errors.InvalidRequestError, "max_age must be a number of seconds.")
    prompt = frozenset((_value(query, "prompt") or "").split())
    if "none" in prompt and len(prompt) > 1:
        refuse(errors.InvalidRequestError, "prompt=none cannot be combined with other values.")
    nonce = _value(query, "nonce")
    if nonce is not None and len(nonce) > MAX_NONCE_LENGTH:
        refuse(errors.InvalidRequestError, "The nonce is too long.")

    acr_values = (_value(query, "acr_values") or "").split()
    claims = _value(query, "claims")
    if claims is not None:
        try:
            parsed_claims = json.loads(claims) if len(claims) <= MAX_CLAIMS_LENGTH else None
        except (ValueError, RecursionError):
            parsed_claims = None
        members = (
            [parsed_claims.get(key) for key in ("userinfo", "id_token")]
            if isinstance(parsed_claims, dict)
            else [None]
        )
        if not isinstance(parsed_claims, dict) or not all(
            member is None
            or (
                isinstance(member, dict)
                and all(value is None or isinstance(value, dict) for value in member.values())
            )
            for member in members
        ):
            refuse(
                errors.InvalidRequestError,
                "Malformed claims parameter.",
                uri="https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter",
            )
        acr_values += _claims_acr_values(parsed_claims)

    return AuthorizationRequest(
        application=application,
        redirect_uri=redirect_uri,
        state=state,
        scopes=scopes,
        prompt=prompt,
        max_age=int(max_age) if max_age is not None else None,
        acr_values=acr_values,
        login_hint=(_value(query, "login_hint") or "")[:MAX_LOGIN_HINT_LENGTH],
        id_token_hint=_value(query, "id_token_hint"),
        language=requested_language(request),
        digest=_digest(query),
    )


def required_level(acr_values: list[str]) -> str | None:
    """The lowest account level among the acr values asked for (unknown ones ignored)."""
    levels = [LEVEL_BY_ACR[value] for value in acr_values if value in LEVEL_BY_ACR]
    return min(levels, key=LEVEL_ORDER.index) if levels else None


def level_meets(level: str, required: str | None) -> bool:
    if required is None:
        return True
    return level in LEVEL_ORDER and LEVEL_ORDER.index(level) >= LEVEL_ORDER.index(required)


# --- fresh logins -------------------------------------------------------------------------
#
# prompt=login and max_age send the citizen to log in again. So that the request is not
# sent there a second time when it comes back, a ticket in the session remembers it:
# a "login" ticket is satisfied once a login has happened since (a newer login time, or
# a new session key); a "shown" ticket, made when the consent page was shown to a fresh
# enough login, keeps that same login valid for the consent form's answer.

TICKETS_KEY = "egisz_oidc_fresh"
TICKET_SECONDS = 600
MAX_TICKETS = 20


def _now() -> int:
    return int(timezone.now().timestamp())


def _tickets(request) -> dict:
    raw = request.session.get(TICKETS_KEY)
    if not isinstance(raw, dict):
        return {}
    now = _now()
    return {
        digest: ticket
        for digest, ticket in raw.items()
        if isinstance(ticket, dict) and now - ticket.get("at", 0) <= TICKET_SECONDS
    }


def _remember_ticket(request, digest: str, **ticket) -> None:
    tickets = _tickets(request)
    tickets[digest] = {**ticket, "at": _now()}
    newest = sorted(tickets.items(), key=lambda item: item[1]["at"])[-MAX_TICKETS:]
    request.session[TICKETS_KEY] = dict(newest)


def _forget_ticket(request, digest: str) -> None:
    tickets = _tickets(request)
    if digest in tickets:
        del tickets[digest]
        request.session[TICKETS_KEY] = tickets


def _login_is_fresh(request, parsed: AuthorizationRequest, auth_time: int) -> bool:
    too_old = parsed.max_age is not None and _now() - auth_time > parsed.max_age
    if "login" not in parsed.prompt and not too_old:
        return True
    ticket = _tickets(request).get(parsed.digest)
    if ticket is None:
        return False
    key = request.session.session_key
    before = ticket.get("auth_time")
    if ticket.get("kind") == "login":
        return ticket.get("key") != key or not isinstance(before, int) or auth_time > before
    return ticket.get("key") == key and before == auth_time


# --- the consent form ----------------------------------------------------------------------


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label=_("Я согласен на передачу моих данных сервису"),
        error_messages={
            "required": _(
                "Поставьте отметку о согласии, чтобы продолжить, или нажмите «Отказаться»."
            )
        },
    )


# --- the view --------------------------------------------------------------------------------


# CSRF is checked in dispatch: a relying party's POST carries no token of ours.
@method_decorator(csrf_exempt, name="dispatch")
class AuthorizeView(BaseAuthorizationView):
    """GET: the authorization request; POST: the consent form's answer (to the same
    URL, so the request is checked again exactly as it was shown), or a relying party's
    POSTed authorization request (to the bare URL)."""

    def dispatch(self, request, *args, **kwargs):
        self.oauth2_data = {}
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if request.method == "POST" and not request.META.get("QUERY_STRING"):
            response = self._as_get(request)
        else:
            response = self._handle(request)
        add_never_cache_headers(response)
        return response

    def _as_get(self, request):
        """An authorization request a relying party POSTed (Form Serialization, OpenID
        Connect Core 3.1.2.1) is the same request as a GET: 303 See Other to it. So it is
        checked exactly as the GET is, and the citizen's session is seen: its cookie is
        SameSite=Lax, which a browser does not send with a cross-site POST but does with
        the GET that follows, and nothing is written to a session here."""
        query = request.POST.urlencode()
        if len(query) > MAX_QUERY_LENGTH:
            return self._bad_request_page("malformed")
        return HttpResponseRedirect(f"{request.path}?{query}", status=303)

    @method_decorator(csrf_protect)
    def _handle(self, request):
        language = requested_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self._respond(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            # The login and consent pages that follow speak the language asked for.
            _set_language_cookie(response, language)
        return response

    def _respond(self, request):
        try:
            application, redirect_uri = _trusted_client(request)
        except BadClientRequest as problem:
            return self._bad_request_page(problem.reason)
        try:
            parsed = parse_request(request, application, redirect_uri)
        except OAuthToolkitError as error:
            response = self.error_response(error, application)
        else:
            try:
                response = self._authorize(request, parsed)
            except (OAuthToolkitError, ValueError) as error:
                # The request is answered (with an error): a fresh-login ticket is spent.
                _forget_ticket(request, parsed.digest)
                if isinstance(error, ValueError):  # oauthlib refusing what it cannot decode
                    log.info("authorization request refused by oauthlib", exc_info=True)
                    error = parsed.error(errors.InvalidRequestError(description="Malformed."))
                response = self.error_response(error, application)
        return self._via_page_if_needed(request, response, application)

    def _via_page_if_needed(self, request, response, application):
        """Back to the client through a page of ours when the browser came here from one
        of our own forms (the login): browsers apply that form's CSP form-action to every
        redirect that follows it, so a direct redirect to the client would be blocked.
        The page sends the browser on at once (Refresh), with a link as a fallback."""
        if response.status_code != 302 or request.method == "POST":
            return response
        target = response["Location"]
        if target.startswith("/") or not _came_from_own_page(request):
            return response
        context = {"service_name": application.name, "url": target}
        page = render(request, "oidc/continue.html", context)
        page["Refresh"] = f"0;url={target}"
        return page

    def error_response(self, error, application, **kwargs):
        if isinstance(error, FatalClientError):
            return self._bad_request_page("malformed")
        return super().error_response(error, application, **kwargs)

    def redirect(self, redirect_to, application):
        # Every answer at the redirect URI, code or error.
        return super().redirect(with_issuer(redirect_to), application)

    def _bad_request_page(self, reason: str):
        context = {"reason": BAD_REQUEST_REASONS.get(reason, BAD_REQUEST_REASONS["malformed"])}
        return render(self.request, "oidc/authorize_error.html", context, status=400)

    # -- the steps

    def _authorize(self, request, parsed: AuthorizationRequest):
        silent = "none" in parsed.prompt
        if not request.user.is_authenticated:
            if silent:
                raise parsed.error(
                    errors.LoginRequired(description="The citizen is not logged in.")
                )
            return self._to_login(request, parsed, fresh=False)
        auth = sessions.authentication_of(request) or {}
        auth_time = auth.get("time")
        if not isinstance(auth_time, int) or not _login_is_fresh(request, parsed, auth_time):
            if silent:
                raise parsed.error(errors.LoginRequired(description="A fresh login is required."))
            return self._to_login(request, parsed, fresh=True)
        if parsed.id_token_hint and not _hint_names(request.user, parsed):
            # The client expects another citizen (or the hint is not one of ours): never
            # hand it a code for whoever happens to be logged in.
            raise parsed.error(
                errors.LoginRequired(description="The id_token_hint names another citizen.")
            )
        if not silent and request.method != "POST":
            # oauthlib's and the validator's own checks before any page.
            self.validate_authorization_request(request)

        account = request.user
        needed = required_level(parsed.acr_values)
        if not level_meets(account.level, needed):
            if silent:
                raise parsed.error(
                    errors.CustomOAuth2Error(
                        "interaction_required",
                        description="The account level is below the requested acr_values.",
                    )
                )
            return self._level_page(request, parsed, needed)

        application = parsed.application
        covered = consent.consent_covers(
            account=account, application=application, scopes=parsed.scopes
        )
        if silent:
            if not covered:
                raise parsed.error(
                    errors.ConsentRequired(description="The citizen has not consented yet.")
                )
            return self._issue(request, parsed, auth)
        if request.method == "POST":
            return self._answer(request, parsed, auth)
        if covered and "consent" not in parsed.prompt:
            return self._issue(request, parsed, auth)
        if parsed.max_age is not None and parsed.digest not in _tickets(request):
            _remember_ticket(
                request,
                parsed.digest,
                kind="shown",
                key=request.session.session_key,
                auth_time=auth_time,
            )
        return self._consent_page(request, parsed, ConsentForm())

    def _to_login(self, request, parsed: AuthorizationRequest, *, fresh: bool):
        """To the login, and back to this request without prompt=login (so the citizen is
        not sent to log in twice)."""
        back = request.GET.copy()
        prompt = [value for value in (back.get("prompt") or "").split() if value != "login"]
        if prompt:
            back["prompt"] = " ".join(prompt)
        else:
            back.pop("prompt", None)
        login_query = {"next": f"{request.path}?{back.urlencode()}"}
        if fresh:
            login_query["prompt"] = "login"
        if parsed.login_hint:
            login_query["login_hint"] = parsed.login_hint
        auth = sessions.authentication_of(request) if request.user.is_authenticated else None
        _remember_ticket(
            request,
            parsed.digest,
            kind="login",
            key=request.session.session_key,
            auth_time=(auth or {}).get("time"),
        )
        return HttpResponseRedirect(f"{reverse(settings.LOGIN_URL)}?{urlencode(login_query)}")

    def _answer(self, request, parsed: AuthorizationRequest, auth: dict):
        account, application = request.user, parsed.application
        meta = RequestMeta.from_request(request)
        if request.POST.get("decision") == "refuse":
            consent.refuse_consent(
                account=account, application=application, scopes=parsed.scopes, meta=meta
            )
            raise parsed.error(
                errors.AccessDeniedError(description="The citizen refused to share the data.")
            )
        form = ConsentForm(request.POST)
        if not form.is_valid():
            return self._consent_page(request, parsed, form, status=400)
        consent.give_consent(
            account=account, application=application, scopes=parsed.scopes, meta=meta
        )
        return self._issue(request, parsed, auth)

    def _issue(self, request, parsed: AuthorizationRequest, auth: dict):
        account = request.user
        credentials = {
            "client_id": parsed.application.client_id,
            "redirect_uri": parsed.redirect_uri,
            "response_type": "code",
            "state": parsed.state,
            # prompt=none has been answered here; oauthlib is not asked again.
            "prompt": " ".join(sorted(parsed.prompt - {"none"})),
            # Read by the validator when it saves the code (oauthlib sets every credential
            # as an attribute of its request): what the ID token says about the login.
            "auth_context": {
                "auth_time": auth["time"],
                "amr": [str(method) for method in auth.get("amr") or []],
                "acr": ACR_BY_LEVEL.get(account.level, ACR_BY_LEVEL[LEVEL_ORDER[0]]),
                "session_key": request.session.session_key,
            },
        }
        uri, _headers, _body, _status = self.create_authorization_response(
            request=request, scopes=" ".join(parsed.scopes), credentials=credentials, allow=True
        )
        _forget_ticket(request, parsed.digest)
        return self.redirect(uri, parsed.application)

    # -- the pages

    def _consent_page(self, request, parsed: AuthorizationRequest, form, status: int = 200):
        application = parsed.application
        previous = consent.current_consent(account=request.user, application=application)
        agreed_before = previous.scope_set if previous else set()
        new = set(consent_lines([s for s in parsed.scopes if s not in agreed_before]))
        profile = getattr(application, "profile", None)
        context = {
            "service_name": application.name,
            "service_description": profile.description if profile else "",
            "data": [
                {"label": line, "new": previous is not None and line in new}
                for line in consent_lines(parsed.scopes)
            ],
            "asks_for_more": previous is not None and bool(new),
            "offline_access": OFFLINE_ACCESS in parsed.scopes,
            "form": form,
        }
        response = render(request, "oidc/consent.html", context, status=status)
        # Browsers apply form-action to the redirect that follows the consent form.
        response["Content-Security-Policy"] = policy_allowing_redirect_to(parsed.redirect_uri)
        return response

    def _level_page(self, request, parsed: AuthorizationRequest, needed: str):
        return_url = parsed.error_url(
            errors.AccessDeniedError(
                description="The account level is below the requested acr_values."
            )
        )
        context = {
            "service_name": parsed.application.name,
            "needed": needed,
            "needed_label": Level(needed).label,
            "current": request.user.level,
            "current_label": request.user.get_level_display(),
            "return_url": return_url,
        }
        return render(request, "oidc/level_required.html", context, status=403)


def _hint_names(account, parsed: AuthorizationRequest) -> bool:
    """True when the id_token_hint is an ID token we issued to this client for ``account``
    (expired is fine: it is only a hint)."""
    record, _claims = EgiszValidator().load_id_token(parsed.id_token_hint, accept_expired=True)
    return (
        record is not None
        and record.application_id == parsed.application.pk
        and record.user_id == account.pk
    )


def _came_from_own_page(request) -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    referer = request.headers.get("Referer", "")
    return bool(referer) and urlsplit(referer).netloc == request.get_host()


def _set_language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


authorize = AuthorizeView.as_view()
