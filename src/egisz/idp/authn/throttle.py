"""Per-address throttling of anything that checks a secret (passwords, codes)."""

from django.shortcuts import render
from django_ratelimit.core import is_ratelimited


def too_many_attempts(request, *, group: str, rate: str) -> bool:
    """Count this request against ``group`` for the client's IP; True once over ``rate``.

    Counters live in the Django cache (Redis or the database table), so they are shared
    by every process and survive a restart.
    """
    return is_ratelimited(
        request, group=group, key="ip", rate=rate, method=is_ratelimited.ALL, increment=True
    )


def rate_limited(request, exception=None):
    return render(request, "authn/rate_limited.html", status=429)
