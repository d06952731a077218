"""Response headers and browser checks that every page of both sites gets."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.template.response import TemplateResponse
from django.utils import translation
from user_agents import parse as parse_user_agent

# No inline script or style anywhere: templates load /static files only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


# The host part of an origin as it may appear in a CSP source: a name or IPv4 address, or
# an IPv6 literal, with an optional port. Anything else is not put into a header.
ORIGIN_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def policy_allowing_redirect_to(uri: str) -> str:
    """The site's policy for a page whose form answers with a redirect to ``uri`` (a
    registered, already validated address of a relying party)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not ORIGIN_HOST.fullmatch(parts.netloc):
        return CONTENT_SECURITY_POLICY
    return policy_with_form_targets([f"{parts.scheme}://{parts.netloc}"])


def policy_with_form_targets(origins) -> str:
    """The site's policy with ``origins`` added to form-action. Browsers apply form-action
    to the redirect that follows a form too, so a form whose answer sends the browser to
    another site (a logout ending at the identity provider) needs that site listed."""
    extra = " ".join(origin for origin in origins if origin)
    if not extra:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {extra}")


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy and Permissions-Policy headers."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = policy_with_form_targets(getattr(settings, "CSP_FORM_ACTION_ORIGINS", []))

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        if getattr(request, "session", None) is not None and request.session.get("_auth_user_id"):
            # Pages of a logged-in person never land in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


# Oldest major versions whose forms, cookies and CSP the sites rely on.
MINIMUM_BROWSER_VERSIONS = {
    "Chrome": 80,
    "Chromium": 80,
    "Chrome Mobile": 80,
    "Firefox": 78,
    "Firefox Mobile": 78,
    "Safari": 13,
    "Mobile Safari": 13,
    "Edge": 80,
    "Opera": 67,
    "Yandex Browser": 20,
}


def is_unsupported_browser(user_agent: str) -> bool:
    if not user_agent:
        return False
    agent = parse_user_agent(user_agent[:512])
    family = agent.browser.family
    if family == "IE":
        return True
    minimum = MINIMUM_BROWSER_VERSIONS.get(family)
    major = agent.browser.version[0] if agent.browser.version else None
    return bool(minimum and isinstance(major, int) and major < minimum)


class UnsupportedBrowserMiddleware:
    """Shows «Неподдерживаемый браузер» instead of a page that would not work.

    Static files and the health check are still served.
    """

    EXEMPT_PREFIXES = ("/static/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(self.EXEMPT_PREFIXES) or not is_unsupported_browser(
            request.headers.get("User-Agent", "")
        ):
            return self.get_response(request)
        response = TemplateResponse(request, "errors/unsupported_browser.html", status=200)
        return response.render()


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Russian unless the person picked another language with the switch in the header.

    The browser's Accept-Language is deliberately ignored: a citizen whose browser happens
    to be set to English still gets the portal in Russian until they choose otherwise.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
