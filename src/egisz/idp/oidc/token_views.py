"""The back-channel endpoints of the OpenID Connect provider: token, UserInfo,
revocation (RFC 7009) and introspection (RFC 7662).

django-oauth-toolkit's views do the protocol; these subclasses add the project's rules:
one database transaction per token request (so the code-replay check holds under
concurrency), only the two grants the provider offers, bearer tokens never in a URL,
and introspection only for a client's own tokens. RP-initiated logout is in
egisz.idp.oidc.end_session.
"""

import calendar
import hashlib
import logging

from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View
from oauth2_provider import views as dot_views
from oauth2_provider.compat import login_not_required
from oauth2_provider.models import (
    get_access_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.common import Request as OauthlibRequest

from egisz.idp.oidc.cors import PublicClientCors
from egisz.idp.oidc.discovery import issuer
from egisz.idp.oidc.subjects import subject_for

log = logging.getLogger(__name__)

GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_TOKEN_LENGTH = 8192
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = 'Basic realm="egisz", charset="UTF-8"'


def oauth_error(error: str, status: int = 400, description: str = "", **headers) -> JsonResponse:
    body = {"error": error}
    if description:
        body["error_description"] = description
    response = JsonResponse(body, status=status)
    for name, value in {**NO_STORE, **headers}.items():
        response[name] = value
    return response


def challenge_basic(response):
    """RFC 6749 §5.2: a 401 names the scheme clients authenticate with (oauthlib writes a
    Bearer challenge, the scheme of resource requests)."""
    if response.status_code == 401:
        response["WWW-Authenticate"] = BASIC_CHALLENGE
    return response


def _epoch(moment) -> int:
    return calendar.timegm(moment.utctimetuple())


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class TokenView(PublicClientCors, dot_views.TokenView):
    """Code and refresh-token exchanges, each in one transaction: the code's row lock
    is held until the tokens are stored, and a refused replay still commits the
    revocation it caused. Readable from public clients' origins (egisz.idp.oidc.cors)."""

    def post(self, request, *args, **kwargs):
        grant_type = request.POST.get("grant_type")
        if not grant_type:
            return oauth_error("invalid_request", description="grant_type is required")
        if grant_type not in GRANT_TYPES:
            return oauth_error("unsupported_grant_type")
        with transaction.atomic():
            response = self.authorization_flow_token_response(request)
        return challenge_basic(response)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class UserInfoView(PublicClientCors, dot_views.UserInfoView):
    """Claims by granted scope; the bearer token in the Authorization header or in a
    form-encoded POST body, never in the URL (RFC 9700 §4.3.2)."""

    cors_methods = ("GET", "POST")
    cors_request_headers = ("Authorization", "Content-Type")

    def _create_userinfo_response(self, request):
        if "access_token" in request.GET:
            return oauth_error(
                "invalid_request",
                description="access tokens are not accepted in the URL",
                **{"WWW-Authenticate": 'Bearer error="invalid_request"'},
            )
        response = super()._create_userinfo_response(request)
        if response.status_code == 401 and self._valid_without_openid(request):
            # oauthlib answers invalid_token; RFC 6750 §3.1 says insufficient_scope.
            response = oauth_error("insufficient_scope", status=403)
        if response.status_code == 403:
            response["WWW-Authenticate"] = 'Bearer error="insufficient_scope", scope="openid"'
        elif response.status_code == 401 and "WWW-Authenticate" not in response:
            response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        if response.status_code >= 400:
            response["Content-Type"] = "application/json"
        for name, value in NO_STORE.items():
            response[name] = value
        return response

    @staticmethod
    def _valid_without_openid(request) -> bool:
        """A live access token that simply was not granted `openid`."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            token = request.POST.get("access_token", "") if request.method == "POST" else ""
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return False
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        access = (
            get_access_token_model()
            .objects.select_related("user")
            .filter(token_checksum=checksum)
            .first()
        )
        return (
            access is not None
            and access.is_valid()
            and "openid" not in access.scope.split()
            and _account_usable(access.user)
        )


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class RevokeTokenView(PublicClientCors, dot_views.RevokeTokenView):
    """RFC 7009. The validator revokes only tokens of the authenticated client; any other
    token is answered 200 as if revoked, without saying whether it exists."""

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            response = super().post(request, *args, **kwargs)
        for name, value in NO_STORE.items():
            response[name] = value
        return challenge_basic(response)


def authenticated_client(request):
    """The confidential client a Django request authenticates (secret or
    private_key_jwt, through the project's validator), or None."""
    core = OAuthLibMixin.get_oauthlib_core()
    uri, http_method, body, headers = core._extract_params(request)
    oauth_request = OauthlibRequest(uri, http_method, body, headers)
    validator = core.server.request_validator
    if not validator.authenticate_client(oauth_request):
        return None
    client = oauth_request.client
    if client is None or client.client_type != client.CLIENT_CONFIDENTIAL:
        return None
    return client


def introspect(token: str, client) -> dict:
    """RFC 7662 answer for ``client``: active only for its own live tokens."""
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    access = (
        get_access_token_model()
        .objects.select_related("user")
        .filter(token_checksum=checksum, application=client)
        .first()
    )
    if access is not None and access.is_valid() and _account_usable(access.user):
        data = {
            "active": True,
            "token_type": "Bearer",
            "scope": access.scope,
            "client_id": client.client_id,
            "exp": _epoch(access.expires),
            "iat": _epoch(access.created),
            "iss": issuer(),
            "aud": client.client_id,
        }
        if access.user is not None:
            data["sub"] = subject_for(access.user, client)
        return data
    refresh = (
        get_refresh_token_model()
        .objects.select_related("user", "access_token")
        .filter(token_checksum=checksum, application=client, revoked__isnull=True)
        .first()
    )
    if refresh is not None and refresh.access_token is not None and _account_usable(refresh.user):
        lifetime = refresh_token_expire_timedelta()
        expires = refresh.access_token.expires + lifetime if lifetime else None
        if expires is None or not _past(expires):
            data = {
                "active": True,
                "token_type": "refresh_token",
                "scope": refresh.access_token.scope,
                "client_id": client.client_id,
                "iat": _epoch(refresh.created),
                "iss": issuer(),
                "sub": subject_for(refresh.user, client),
            }
            if expires is not None:
                data["exp"] = _epoch(expires)
            return data
    return {"active": False}


def _account_usable(account) -> bool:
    return account is None or account.is_active


def _past(moment) -> bool:
    return moment <= timezone.now()


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class IntrospectView(View):
    """RFC 7662 for resource servers that are registered confidential clients. A client
    learns about its own tokens only; anything else is {"active": false}. The answer
    carries the client's `sub` for the citizen, never the phone or other identifiers."""

    def post(self, request, *args, **kwargs):
        client = authenticated_client(request)
        if client is None:
            return oauth_error(
                "invalid_client",
                status=401,
                **{"WWW-Authenticate": BASIC_CHALLENGE},
            )
        token = request.POST.get("token")
        if not token:
            return oauth_error("invalid_request", description="token is required")
        data = {"active": False} if len(token) > MAX_TOKEN_LENGTH else introspect(token, client)
        response = JsonResponse(data)
        for name, value in NO_STORE.items():
            response[name] = value
        return response
