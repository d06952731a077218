"""Per-address throttling of anything that checks a secret (passwords, codes) or sends one."""

from django_ratelimit.core import is_ratelimited


def too_many_attempts(request, *, group: str, rate: str) -> bool:
    """Count this request against ``group`` for the client's IP; True once over ``rate``.

    Counters live in the Django cache (Redis or the database table), so they are shared
    by every process and survive a restart; django-ratelimit increments them atomically.
    """
    return is_ratelimited(
        request, group=group, key="ip", rate=rate, method=is_ratelimited.ALL, increment=True
    )
