"""Where a flow may send the browser afterwards."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, candidate, default: str = "") -> str:
    """``candidate`` when it is a local path of this site, else ``default``: an open
    redirect after a login is a phishing tool. ``request`` may be None (no host known:
    only paths pass)."""
    if not isinstance(candidate, str) or len(candidate) > 2000:
        return default
    value = candidate.strip()
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    hosts = {request.get_host()} if request is not None else None
    secure = request.is_secure() if request is not None else False
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=hosts, require_https=secure):
        return default
    return value
