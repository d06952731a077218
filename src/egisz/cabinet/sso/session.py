"""What the cabinet keeps in a visitor's session for the login: the pending authorization
requests (state → nonce, PKCE verifier, next), the grant of a logged-in session, the link to
the provider's session (for the logout and the back-channel logout), and the lifetime
markers. Never a token."""

from __future__ import annotations

import time
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from egisz.common.flow import redirects

PENDING_KEY = "egisz_sso_pending"
GRANT_KEY = "egisz_sso_grant"
LINK_KEY = "egisz_sso_link"
IDLE_KEY = "egisz_cabinet_last_activity"
STARTED_KEY = "egisz_cabinet_started_at"

# A login started in several tabs keeps a few requests; each is good for one callback.
MAX_PENDING = 5
# Time allowed between «Войти через Госуслуги» and the callback (login, code, consent).
PENDING_MAX_AGE_SECONDS = 30 * 60


def remember_pending(request, *, state: str, nonce: str, code_verifier: str, next_url: str):
    pending = dict(request.session.get(PENDING_KEY) or {})
    pending[state] = {
        "nonce": nonce,
        "verifier": code_verifier,
        "next": next_url,
        "at": int(time.time()),
    }
    newest = sorted(pending.items(), key=lambda item: item[1].get("at", 0))[-MAX_PENDING:]
    request.session[PENDING_KEY] = dict(newest)


def pop_pending(request, state: str | None) -> tuple[dict | None, str]:
    """The authorization request ``state`` belongs to, removed so it serves one callback
    only; or (None, reason)."""
    if not state:
        return None, "state_missing"
    pending = dict(request.session.get(PENDING_KEY) or {})
    entry = pending.pop(state, None)
    if entry is None:
        return None, "state_unknown"
    request.session[PENDING_KEY] = pending
    if int(time.time()) - int(entry.get("at", 0)) > PENDING_MAX_AGE_SECONDS:
        return None, "state_expired"
    return entry, ""


def safe_next(value: str | None) -> str:
    """``value`` when it is a path of this site (never another host, never the login's own
    pages), else empty."""
    value = redirects.safe_next(None, value, "")
    sso_prefix = reverse("sso:login").rsplit("/", 2)[0] + "/"
    if value.startswith(sso_prefix):
        return ""
    return value


def mark_session_start(request) -> None:
    """The absolute lifetime counts from the moment the login completed."""
    now = timezone.now().isoformat()
    request.session[STARTED_KEY] = now
    request.session[IDLE_KEY] = now


def parse_moment(value) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
