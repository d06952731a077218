"""Who is asking: the client address and browser of a request, passed into services."""

from dataclasses import dataclass

from django.conf import settings

MAX_USER_AGENT = 512


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request) -> "RequestMeta":
        return cls(
            ip=client_ip(request), user_agent=request.headers.get("User-Agent", "")[:MAX_USER_AGENT]
        )


SYSTEM = RequestMeta(ip=None, user_agent="system")


def client_ip(request) -> str | None:
    """The client address. X-Forwarded-For is trusted only behind a configured proxy."""
    if getattr(settings, "TRUSTED_PROXY_COUNT", 0):
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(hops) >= settings.TRUSTED_PROXY_COUNT:
            return hops[-settings.TRUSTED_PROXY_COUNT]
    return request.META.get("REMOTE_ADDR") or None


def throttle_address(request) -> str:
    """The address per-address throttling counts (django-ratelimit's RATELIMIT_IP_META_KEY):
    the same client address the journals record, so that behind a proxy every citizen is
    not one counter."""
    return client_ip(request) or "unknown"
