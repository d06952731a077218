"""Reading configuration from environment variables with safe demo defaults."""

import os
import re

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


RATE_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE_SYNTAX = re.compile(r"(\d+)/(\d*)([smhd])")


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/h"`` → (30, 3600); ``"10/12h"`` → (10, 43200). The syntax of django-ratelimit's
    rates, so every limit in the README reads the same way."""
    match = RATE_SYNTAX.fullmatch(rate.strip())
    if match is None or int(match.group(2) or 1) < 1:
        raise ValueError(f"not a rate like 30/h or 10/12h: {rate!r}")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * RATE_PERIOD_SECONDS[unit]


def env_rate(name: str, default: str) -> str:
    """A rate (``count/period``) from the environment, checked at start-up."""
    raw = os.environ.get(name, "").strip() or default
    try:
        parse_rate(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc
    return raw
