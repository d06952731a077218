"""The end-session endpoint, /oidc/logout/: OpenID Connect RP-Initiated Logout 1.0, by GET
or POST.

django-oauth-toolkit's view is the base; the project's rules are here. The IdP session
ends at once only when the request carries an unexpired ID token that this browser's
current IdP session issued (its `sid`); otherwise the citizen is asked (a form of this
site, CSRF-protected), and a browser without an IdP session has nothing to end. Ending the
session revokes the tokens issued in it and tells its other services (back-channel
logout, egisz.idp.oidc.signout): nothing outside this browser's session is touched,
whatever the request names. The browser returns to the post-logout address only when it
is registered for the service exactly.
"""

from dataclasses import dataclass

from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from oauth2_provider import views as dot_views
from oauth2_provider.compat import login_not_required
from oauth2_provider.exceptions import (
    ClientIdMissmatch,
    InvalidIDTokenError,
    InvalidOIDCClientError,
    InvalidOIDCRedirectURIError,
    InvalidRequestFatalError,
    LogoutDenied,
    OIDCError,
)
from oauth2_provider.forms import ConfirmLogoutForm
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import add_params_to_uri

from egisz.common.audit.services import record_event
from egisz.common.request_meta import RequestMeta
from egisz.common.ui.middleware import policy_allowing_redirect_to
from egisz.idp.audit_actions import IdpAction
from egisz.idp.authn import sessions
from egisz.idp.oidc.models import SignOutReason
from egisz.idp.oidc.subjects import sid_for


class MalformedLogoutRequest(InvalidRequestFatalError):
    description = "A logout parameter is repeated, too long or malformed."


LOGOUT_MESSAGES = {
    InvalidOIDCRedirectURIError: _(
        "Адрес, на который сервис просит вернуть вас после выхода, не зарегистрирован."
    ),
    InvalidOIDCClientError: _("Сервис, который просит выхода, не найден."),
    InvalidIDTokenError: _("Запрос на выход содержит недействительный токен."),
    ClientIdMissmatch: _("Запрос на выход составлен неверно."),
    MalformedLogoutRequest: _("Запрос на выход составлен неверно."),
    LogoutDenied: _("Вы остались в системе."),
}

LOGOUT_PARAMETERS = (
    "id_token_hint",
    "logout_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
)
MAX_LOGOUT_PARAMETER_LENGTH = 2048
# Marks the citizen's answer on the question page (a form of this site, CSRF-protected)
# apart from a service's logout request sent by POST.
ANSWER = "answer"


@dataclass(frozen=True)
class LogoutRequest:
    parameters: dict
    application: object | None
    hint: object | None  # the IDToken the id_token_hint names
    hint_claims: dict | None
    hint_fresh: bool  # the hint has not expired

    @property
    def post_logout_redirect_uri(self) -> str:
        return self.parameters["post_logout_redirect_uri"]


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class LogoutView(dot_views.RPInitiatedLogoutView):
    """RP-initiated logout: a service's request (GET or POST), the question, the answer."""

    template_name = "oidc/logout.html"
    http_method_names = ["get", "head", "post", "options"]

    def get(self, request, *args, **kwargs):
        return self._logout_request(request, request.GET)

    def post(self, request, *args, **kwargs):
        if ANSWER in request.POST or "allow" in request.POST:
            # The citizen's answer to the question: only from this site's own form.
            return csrf_protect(self._answer)(request)
        # A service's logout request sent by POST (RP-Initiated Logout §2).
        return self._logout_request(request, request.POST)

    def _logout_request(self, request, query):
        try:
            parsed = self._parse(query)
        except OIDCError as error:
            return self.error_response(error)
        if self._ends_at_once(request, parsed):
            return self._logout(request, parsed)
        return self._question(request, parsed)

    def _answer(self, request):
        try:
            parsed = self._parse(request.POST)
        except OIDCError as error:
            return self.error_response(error)
        if request.POST.get("allow") != "on":
            return self.error_response(LogoutDenied())
        return self._logout(request, parsed)

    # -- the request

    def _parse(self, query) -> LogoutRequest:
        parameters = {}
        for name in LOGOUT_PARAMETERS:
            values = [value for value in query.getlist(name) if value]
            if len(values) > 1 or any(
                len(value) > MAX_LOGOUT_PARAMETER_LENGTH or "\x00" in value
                for value in values
                if name != "id_token_hint"
            ):
                raise MalformedLogoutRequest()
            parameters[name] = values[0] if values else ""
        hint, claims = None, None
        if parameters["id_token_hint"]:
            validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
            hint, claims = validator.load_id_token(parameters["id_token_hint"], accept_expired=True)
            if hint is None:
                raise InvalidIDTokenError()
            client_id = parameters["client_id"]
            if client_id and hint.application.client_id != client_id:
                raise ClientIdMissmatch()
        application = self.get_request_application(hint, parameters["client_id"])
        self.validate_post_logout_redirect_uri(application, parameters["post_logout_redirect_uri"])
        fresh = claims is not None and int(claims.get("exp", 0)) > timezone.now().timestamp()
        return LogoutRequest(parameters, application, hint, claims, fresh)

    def get_request_application(self, id_token, client_id):
        if client_id:
            if len(client_id) > 100:
                raise InvalidOIDCClientError()
            application = get_application_model().objects.filter(client_id=client_id).first()
            if application is None:
                raise InvalidOIDCClientError()
            return application
        if id_token is not None:
            return id_token.application
        return None

    def validate_post_logout_redirect_uri(self, application, post_logout_redirect_uri):
        """Only an address registered for the client, compared as a plain string
        (OpenID Connect RP-Initiated Logout §3), with a scheme the site allows."""
        if not post_logout_redirect_uri:
            return
        if application is None:
            raise InvalidOIDCClientError()
        if post_logout_redirect_uri not in application.post_logout_redirect_uris.split():
            raise InvalidOIDCRedirectURIError()
        scheme = post_logout_redirect_uri.split(":", 1)[0]
        if scheme not in oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES:
            raise InvalidOIDCRedirectURIError()

    def _ends_at_once(self, request, parsed: LogoutRequest) -> bool:
        """RP-Initiated Logout §2: without asking only for an ID token of the current IdP
        session and citizen. An expired one is a hint, never a reason to end anything."""
        if oauth2_settings.OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT:
            return False
        if not request.user.is_authenticated or parsed.hint is None or not parsed.hint_fresh:
            return False
        session = sessions.current_session(request)
        return (
            session is not None
            and parsed.hint.user_id == request.user.pk
            and parsed.hint_claims.get("sid") == sid_for(session, parsed.hint.application)
        )

    # -- the answers

    def _question(self, request, parsed: LogoutRequest):
        context = {
            "form": ConfirmLogoutForm(initial=parsed.parameters),
            "answer": ANSWER,
            "application": parsed.application,
            "logged_in": request.user.is_authenticated,
            "returns": bool(parsed.post_logout_redirect_uri),
        }
        response = self.render_to_response(context)
        if parsed.post_logout_redirect_uri:
            # Browsers apply form-action to the redirect that follows the answer, so the
            # service's origin must be allowed there.
            response["Content-Security-Policy"] = policy_allowing_redirect_to(
                parsed.post_logout_redirect_uri
            )
        return response

    def _logout(self, request, parsed: LogoutRequest):
        application = parsed.application
        session_account = request.user if request.user.is_authenticated else None
        subject = session_account or (parsed.hint.user if parsed.hint is not None else None)
        with transaction.atomic():
            ended = None
            if session_account is not None:
                ended = sessions.end_current_session(
                    request, reason=SignOutReason.RP_LOGOUT, initiator=application
                )
            if subject is not None or application is not None:
                record_event(
                    action=IdpAction.LOGOUT,
                    meta=RequestMeta.from_request(request),
                    actor=session_account,
                    subject=subject if subject is not None else f"client:{application.client_id}",
                    client=application.client_id if application else "",
                    session_ended=ended is not None,
                    hint_fresh=parsed.hint_fresh,
                )
        logout(request)
        target = parsed.post_logout_redirect_uri
        if target:
            if parsed.parameters["state"]:
                target = add_params_to_uri(target, [("state", parsed.parameters["state"])])
            return OAuth2ResponseRedirect(target, oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES)
        return HttpResponseRedirect(reverse("authn:login"))

    def error_response(self, error):
        message = LOGOUT_MESSAGES.get(type(error), _("Не удалось выполнить выход."))
        return self.render_to_response({"error": error, "message": message}, status=400)
