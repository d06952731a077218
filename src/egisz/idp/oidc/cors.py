"""Cross-origin access to the token side for browser-only public clients.

A single-page app registered as a public client redeems its code, refreshes, revokes and
reads UserInfo from its own origin; the browser lets it read those answers only when they
name that origin. The origins allowed are those of the redirect URIs registered for public
clients (scheme, host and port), nothing wider, and never with credentials: cookies are not
sent, so a page reads only the answers to requests it makes with what it holds itself.
Discovery and the JWKS are public documents, open to every origin (their own views).

oauthlib has a hook of its own (RequestValidator.is_origin_allowed, over DOT's
Application.allowed_origins), but it answers only successful token responses, only to
HTTPS origins, and no preflight; the project's policy is here instead.
"""

from urllib.parse import urlsplit

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

PREFLIGHT_MAX_AGE_SECONDS = 600
MAX_ORIGIN_LENGTH = 300
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(uri: str) -> str | None:
    """The origin (RFC 6454) of an http(s) address, as browsers send it, or None."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or DEFAULT_PORTS.get(parts.scheme) == port:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def public_client_origin(origin: str | None) -> bool:
    """Whether ``origin`` is the origin of a redirect URI registered for a public client."""
    if not origin or len(origin) > MAX_ORIGIN_LENGTH or origin_of(origin) != origin:
        return False
    application = get_application_model()
    registered = application.objects.filter(client_type=application.CLIENT_PUBLIC).values_list(
        "redirect_uris", flat=True
    )
    return any(origin_of(uri) == origin for uris in registered for uri in uris.split())


class PublicClientCors:
    """A view mixin: CORS headers for public clients' origins, preflight answered here."""

    cors_methods: tuple[str, ...] = ("POST",)
    cors_request_headers: tuple[str, ...] = ("Content-Type",)

    def dispatch(self, request, *args, **kwargs):
        origin = request.headers.get("Origin")
        allowed = public_client_origin(origin)
        if (
            allowed
            and request.method == "OPTIONS"
            and "Access-Control-Request-Method" in request.headers
        ):
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ", ".join(self.cors_methods)
            response["Access-Control-Allow-Headers"] = ", ".join(self.cors_request_headers)
            response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
        else:
            response = super().dispatch(request, *args, **kwargs)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            # Errors too: the app reads the error code, and UserInfo's challenge.
            response["Access-Control-Expose-Headers"] = "WWW-Authenticate"
        patch_vary_headers(response, ("Origin",))
        return response
