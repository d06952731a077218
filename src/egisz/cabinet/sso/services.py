"""Writes of the login through the provider: completing a login, the grant behind a
session, its periodic check, and the audit events of each step."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egisz.cabinet.patients.models import Patient
from egisz.cabinet.patients.services import sign_in_patient
from egisz.cabinet.sso import client
from egisz.cabinet.sso.models import ProviderGrant
from egisz.common.audit.services import record_event
from egisz.common.request_meta import RequestMeta

log = logging.getLogger(__name__)

# Audit actions of this app, and how the citizen's own activity journal names them.
LOGIN_FAILED = "cabinet.login_failed"
LOGIN_REFUSED = "cabinet.login_consent_refused"
LOGIN_LIMITED = "cabinet.login_limited"
LOGOUT = "cabinet.logout"
SESSION_EXPIRED = "cabinet.session_expired"
GRANT_REVOKED = "cabinet.session_ended_grant_revoked"
ACTIVITY_LABELS = {
    "cabinet.login": _("Вход в кабинет"),
    "cabinet.patient_created": _("Первый вход в кабинет"),
    LOGOUT: _("Выход из кабинета"),
    SESSION_EXPIRED: _("Сеанс завершён: истекло время бездействия или сеанса"),
    GRANT_REVOKED: _("Сеанс завершён: доступ к данным отозван на Госуслугах"),
}


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
    id_token: str


@dataclass(frozen=True)
class FullLogin:
    patient: Patient
    created: bool
    grant: ProviderGrant


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
        record_event(action=LOGIN_LIMITED, meta=meta, level=acr)
        return LimitedLogin(level=acr, id_token=tokens.id_token)

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
        grant.id_token = tokens.id_token
        grant.save()
    return FullLogin(patient=patient, created=created, grant=grant)


def record_login_failure(*, reason: str, meta: RequestMeta) -> None:
    record_event(action=LOGIN_FAILED, meta=meta, success=False, reason=reason[:120])


def record_consent_refused(*, meta: RequestMeta) -> None:
    record_event(action=LOGIN_REFUSED, meta=meta)


def grant_of(*, grant_id, user) -> ProviderGrant | None:
    if not grant_id or user is None or not user.is_authenticated:
        return None
    return ProviderGrant.objects.filter(pk=grant_id, user=user).first()


def drop_grant(*, grant_id, user) -> None:
    ProviderGrant.objects.filter(pk=grant_id, user=user).delete()


@transaction.atomic
def end_session(*, action: str, user, grant_id, meta: RequestMeta, **details) -> None:
    """The cabinet session ends (logout, timeout, grant withdrawn): the grant row goes and
    the audit journal says why. (The caller flushes the session.)"""
    actor = user if user is not None and user.is_authenticated else None
    if grant_id and actor is not None:
        ProviderGrant.objects.filter(pk=grant_id, user=actor).delete()
    record_event(action=action, meta=meta, actor=actor, **details)


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
        if grant.access_token_encrypted != seen.access_token_encrypted:
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
        if tokens.id_token:
            grant.id_token = tokens.id_token
        grant.access_expires_at = _moment(tokens.expires_at)
        grant.checked_at = now
        grant.save(
            update_fields=[
                "access_token_encrypted",
                "refresh_token_encrypted",
                "id_token_encrypted",
                "access_expires_at",
                "checked_at",
            ]
        )
    return GRANT_REFRESHED


def purge_stale_grants(*, limit: int = 500) -> int:
    """Grants of sessions that can no longer be alive (older than SESSION_MAX_HOURS), for
    sessions that ended by closing the browser. A worker task (settings.WORKER_TASKS)."""
    cutoff = timezone.now() - timedelta(hours=settings.SESSION_MAX_HOURS, minutes=5)
    ids = list(
        ProviderGrant.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:limit]
    )
    if ids:
        ProviderGrant.objects.filter(pk__in=ids).delete()
    return len(ids)


def _moment(epoch: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=UTC) if epoch is not None else None
