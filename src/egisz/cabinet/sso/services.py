"""Writes of the login through the provider: completing a login, the grant behind a
session and the provider session it belongs to, the periodic grant check, the back-channel
logout, and the audit events of each step."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.patients.models import Patient
from egisz.cabinet.patients.services import sign_in_patient
from egisz.cabinet.sso import client
from egisz.cabinet.sso.models import ProviderGrant, ProviderSessionLink, UsedLogoutToken
from egisz.common.audit.services import record_event
from egisz.common.request_meta import RequestMeta

log = logging.getLogger(__name__)

# Audit actions of this app (the views and the middleware name them through this module).
LOGIN_FAILED = CabinetAction.LOGIN_FAILED
LOGIN_REFUSED = CabinetAction.LOGIN_REFUSED
LOGIN_LIMITED = CabinetAction.LOGIN_LIMITED
LOGOUT = CabinetAction.LOGOUT
SESSION_EXPIRED = CabinetAction.SESSION_EXPIRED
GRANT_REVOKED = CabinetAction.GRANT_REVOKED
BACKCHANNEL_LOGOUT = CabinetAction.BACKCHANNEL_LOGOUT
BACKCHANNEL_LOGOUT_REFUSED = CabinetAction.BACKCHANNEL_LOGOUT_REFUSED


class LoginRefused(Exception):
    """The callback is not to be trusted or the provider refused it; ``reason`` goes to
    the audit journal, never to the page."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LimitedLogin:
    """The account level is below the one required: no patient, no personal data."""

    level: str
    link: ProviderSessionLink


@dataclass(frozen=True)
class FullLogin:
    patient: Patient
    created: bool
    grant: ProviderGrant
    link: ProviderSessionLink


def complete_login(*, code: str, nonce: str, code_verifier: str, meta: RequestMeta):
    """The back-channel half of a login: code → tokens, the ID token checked, then either
    a LimitedLogin (level too low) or the patient signed in with a FullLogin.

    Raises LoginRefused(reason) and client.ProviderUnavailable."""
    try:
        tokens = client.exchange_code(code=code, code_verifier=code_verifier)
    except client.ProviderRefused as exc:
        raise LoginRefused(f"token_error:{exc.error[:60]}") from exc
    try:
        id_claims = client.validate_id_token(
            tokens.id_token, nonce=nonce, access_token=tokens.access_token
        )
    except client.InvalidIDToken as exc:
        raise LoginRefused(f"id_token:{exc.reason[:80]}") from exc
    acr = str(id_claims.get("acr") or "")
    if not client.acr_satisfies(acr, settings.OIDC_REQUIRED_ACR):
        with transaction.atomic():
            link = _link_session(id_claims)
            record_event(action=LOGIN_LIMITED, meta=meta, level=acr)
        return LimitedLogin(level=acr, link=link)

    try:
        claims = client.userinfo(tokens.access_token)
    except client.AccessRefused as exc:
        raise LoginRefused("userinfo_refused") from exc
    # OpenID Connect Core §5.3.2: UserInfo must be about the person of the ID token.
    if claims.get("sub") != id_claims["sub"]:
        raise LoginRefused("userinfo_subject")
    now = timezone.now()
    with transaction.atomic():
        patient, created = sign_in_patient(
            issuer=client.issuer(), subject=id_claims["sub"], claims=claims, level=acr, meta=meta
        )
        grant = ProviderGrant(
            user=patient.user,
            issuer=client.issuer(),
            subject=id_claims["sub"],
            access_expires_at=_moment(tokens.expires_at),
            checked_at=now,
        )
        grant.access_token = tokens.access_token
        grant.refresh_token = tokens.refresh_token
        grant.save()
        link = _link_session(id_claims, grant=grant)
    return FullLogin(patient=patient, created=created, grant=grant, link=link)


def _link_session(id_claims: dict, *, grant: ProviderGrant | None = None) -> ProviderSessionLink:
    """The row a back-channel logout will find this cabinet session by: the provider's
    session id (when its ID token carries one) and the subject."""
    return ProviderSessionLink.objects.create(
        issuer=client.issuer(),
        subject=id_claims["sub"],
        sid=client.session_id(id_claims),
        grant=grant,
    )


def record_login_failure(*, reason: str, meta: RequestMeta) -> None:
    record_event(action=LOGIN_FAILED, meta=meta, success=False, reason=reason[:120])


def record_consent_refused(*, meta: RequestMeta) -> None:
    record_event(action=LOGIN_REFUSED, meta=meta)


def grant_of(*, grant_id, user) -> ProviderGrant | None:
    if not grant_id or user is None or not user.is_authenticated:
        return None
    return ProviderGrant.objects.filter(pk=grant_id, user=user).first()


def session_link(link_id) -> ProviderSessionLink | None:
    return ProviderSessionLink.objects.filter(pk=link_id).first() if link_id else None


def session_link_alive(link_id) -> bool:
    """Whether the provider session behind a cabinet session still stands (no back-channel
    logout has ended it)."""
    return ProviderSessionLink.objects.filter(pk=link_id).exists()


def drop_previous_login(*, grant_id, link_id, user) -> None:
    """A new login over a session: the old session's grant and link are not needed."""
    if grant_id and user is not None and user.is_authenticated:
        ProviderGrant.objects.filter(pk=grant_id, user=user).delete()
    if link_id:
        ProviderSessionLink.objects.filter(pk=link_id).delete()


@transaction.atomic
def end_session(
    *, action: CabinetAction, user, grant_id, link_id, meta: RequestMeta, **details
) -> None:
    """The cabinet session ends (logout, timeout, grant withdrawn): its grant and link rows
    go and the audit journal says why. (The caller flushes the session.)"""
    actor = user if user is not None and user.is_authenticated else None
    drop_previous_login(grant_id=grant_id, link_id=link_id, user=actor)
    record_event(action=action, meta=meta, actor=actor, **details)


# --- Back-channel logout ----------------------------------------------------------------------


class LogoutTokenRefused(Exception):
    """A back-channel logout request is refused (HTTP 400); ``error`` is the OAuth error
    code for the provider, ``reason`` the audit journal's detail."""

    def __init__(self, reason: str, error: str = "invalid_request"):
        super().__init__(reason)
        self.reason = reason
        self.error = error


# A logout token is one short JWT; anything much longer is not one.
MAX_LOGOUT_TOKEN_LENGTH = 16_000


def backchannel_logout(*, logout_token: str, meta: RequestMeta) -> int:
    """The provider says one of its sessions (`sid`), or every session of a citizen
    (`sub` alone), has ended (OpenID Connect Back-Channel Logout 1.0): the token is checked
    (client.validate_logout_token), its `jti` is spent, and the links of the matching
    cabinet sessions are deleted with their grants — each of those sessions is logged out
    at its next request, in whichever process serves it. Returns how many sessions ended.

    Every token, accepted or refused, leaves an audit event. Raises LogoutTokenRefused."""
    if not logout_token or len(logout_token) > MAX_LOGOUT_TOKEN_LENGTH:
        raise _logout_token_refused("logout_token_missing", meta=meta)
    try:
        claims = client.validate_logout_token(logout_token)
    except client.InvalidLogoutToken as exc:
        raise _logout_token_refused(exc.reason, meta=meta) from exc
    except client.ProviderUnavailable as exc:
        log.warning("back-channel logout: the provider's keys cannot be fetched (%s)", exc)
        raise _logout_token_refused(
            "provider_unavailable", meta=meta, error="temporarily_unavailable"
        ) from exc
    with transaction.atomic():
        ended = _end_provider_sessions(claims, meta=meta) if _spend(claims) else None
    if ended is None:
        raise _logout_token_refused("jti_replayed", meta=meta)
    return ended


def _logout_token_refused(
    reason: str, *, meta: RequestMeta, error: str = "invalid_request"
) -> LogoutTokenRefused:
    """The audit event of a refused logout request, and the exception to raise."""
    record_event(action=BACKCHANNEL_LOGOUT_REFUSED, meta=meta, success=False, reason=reason[:120])
    return LogoutTokenRefused(reason, error=error)


# The latest moment a datetime holds (9999-12-31): a token claiming to live longer is
# remembered that long.
_LAST_EPOCH = 253_402_214_400


def _spend(claims: dict) -> bool:
    """Whether the token's `jti` is used for the first time (by this issuer, while the
    token is valid); a second use meets the unique digest, in this process or any other."""
    digest = hashlib.sha256(f"{claims['iss']}\n{claims['jti']}".encode()).hexdigest()
    until = min(int(claims["exp"]) + client.LEEWAY_SECONDS, _LAST_EPOCH)
    try:
        with transaction.atomic():
            UsedLogoutToken.objects.create(digest=digest, expires_at=_moment(until))
    except IntegrityError:
        return False
    return True


def _end_provider_sessions(claims: dict, *, meta: RequestMeta) -> int:
    """Deletes the links (and grants) of the cabinet sessions the token names: with `sid`,
    the sessions of that provider session — and, when the token has `sub` too, that
    citizen's sessions whose ID token carried no `sid`; with `sub` alone, every session of
    that citizen."""
    sid, sub = claims.get("sid"), claims.get("sub")
    if sid and sub:
        match = Q(subject=sub) & (Q(sid=sid) | Q(sid=""))
    elif sid:
        match = Q(sid=sid)
    else:
        match = Q(subject=sub)
    links = list(
        ProviderSessionLink.objects.filter(match, issuer=claims["iss"]).select_related("grant")
    )
    users = {link.grant.user_id for link in links if link.grant is not None}
    ProviderGrant.objects.filter(pk__in=[link.grant_id for link in links if link.grant_id]).delete()
    ProviderSessionLink.objects.filter(pk__in=[link.pk for link in links]).delete()
    record_event(
        action=BACKCHANNEL_LOGOUT,
        meta=meta,
        actor=users.pop() if len(users) == 1 else None,
        sessions=len(links),
        by="sid" if sid else "sub",
        jti=str(claims["jti"])[:80],
    )
    return len(links)


# --- The grant check --------------------------------------------------------------------------

GRANT_OK = "ok"
GRANT_REFRESHED = "refreshed"
GRANT_REVOKED_STATUS = "revoked"
GRANT_UNKNOWN = "unknown"  # the provider could not be asked: the session goes on (fail-open)


def check_grant(*, grant_id, user, interval: int) -> str:
    """Whether the grant behind a session still stands, asking the provider at most every
    ``interval`` seconds (0: every time) with one call: UserInfo with the access token, or
    — when that token has expired or is refused — one refresh-token exchange (whose rotated
    tokens are stored). A provider that cannot be asked does not end the session."""
    grant = grant_of(grant_id=grant_id, user=user)
    if grant is None:
        return GRANT_REVOKED_STATUS
    now = timezone.now()
    if interval > 0 and grant.checked_at > now - timedelta(seconds=interval):
        return GRANT_OK
    if grant.access_expires_at is None or grant.access_expires_at > now:
        try:
            client.userinfo(grant.access_token)
        except client.AccessRefused:
            pass  # expired early, or withdrawn: the refresh token tells which
        except client.ProviderUnavailable as exc:
            log.warning("grant check: the provider cannot be asked (%s); session goes on", exc)
            return GRANT_UNKNOWN
        else:
            if interval > 0:
                ProviderGrant.objects.filter(pk=grant.pk).update(checked_at=now)
            return GRANT_OK
    return _refresh_grant(grant, now=now)


def _refresh_grant(seen: ProviderGrant, *, now: datetime) -> str:
    """One refresh under the row's lock; a concurrent request that already refreshed (the
    access token changed meanwhile) makes this one a success without a second exchange —
    the provider treats a reused refresh token as stolen."""
    with transaction.atomic():
        grant = ProviderGrant.objects.select_for_update().filter(pk=seen.pk).first()
        if grant is None:
            return GRANT_REVOKED_STATUS
        # The tokens, not their ciphertexts: rotate-field-key may have re-encrypted the
        # row meanwhile without anything being refreshed.
        if grant.access_token != seen.access_token:
            return GRANT_REFRESHED
        if not grant.refresh_token:
            return GRANT_REVOKED_STATUS
        try:
            tokens = client.refresh(refresh_token=grant.refresh_token)
        except client.ProviderRefused as exc:
            if exc.error == "invalid_grant":
                return GRANT_REVOKED_STATUS
            log.error("grant check: the provider refused the refresh with %s", exc.error)
            return GRANT_UNKNOWN
        except client.ProviderUnavailable as exc:
            log.warning("grant check: the provider cannot be asked (%s); session goes on", exc)
            return GRANT_UNKNOWN
        grant.access_token = tokens.access_token
        grant.refresh_token = tokens.refresh_token
        grant.access_expires_at = _moment(tokens.expires_at)
        grant.checked_at = now
        grant.save(
            update_fields=[
                "access_token_encrypted",
                "refresh_token_encrypted",
                "access_expires_at",
                "checked_at",
            ]
        )
    return GRANT_REFRESHED


def purge_stale_grants(*, limit: int = 500) -> int:
    """Grants of sessions that can no longer be alive (older than SESSION_MAX_HOURS), for
    sessions that ended by closing the browser. A worker task (settings.PERIODIC_JOBS)."""
    return _delete_first(ProviderGrant.objects.filter(created_at__lt=_oldest_live()), limit)


def purge_ended_logins(*, limit: int = 500) -> int:
    """Links of limited-mode sessions that can no longer be alive (full-access ones go with
    their grants), and used logout tokens past their expiry. A worker task."""
    links = ProviderSessionLink.objects.filter(created_at__lt=_oldest_live())
    used = UsedLogoutToken.objects.filter(expires_at__lt=timezone.now())
    return _delete_first(links, limit) + _delete_first(used, limit)


def _oldest_live() -> datetime:
    """Anything of a session started before this moment has outlived SESSION_MAX_HOURS."""
    return timezone.now() - timedelta(hours=settings.SESSION_MAX_HOURS, minutes=5)


def _delete_first(queryset, limit: int) -> int:
    """Deletes up to ``limit`` rows of ``queryset``; returns how many."""
    ids = list(queryset.values_list("pk", flat=True)[:limit])
    if ids:
        queryset.model.objects.filter(pk__in=ids).delete()
    return len(ids)


def _moment(epoch: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=UTC) if epoch is not None else None
