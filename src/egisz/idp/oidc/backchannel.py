"""OpenID Connect Back-Channel Logout 1.0, the provider's side: logout tokens and their
delivery to the clients' ``backchannel_logout_uri``.

Queueing writes one LogoutDelivery row per client in the caller's transaction (a rolled
back event tells nobody; a committed one is never lost), and a task queued when it commits
(oidc.tasks.deliver_logout) delivers it; the periodic ``deliver_due`` sweeps up what a lost
task left. A delivery claims a due row and commits, POSTs the logout token with a short
timeout outside any transaction (a slow client holds no lock and blocks no citizen), then
records the answer. A client that does not answer 2xx is tried again with exponential
back-off until BACKCHANNEL_LOGOUT_RETRY_HOURS have passed since the event; then the row is
marked failed, logged and journalled.

The token is signed when it is sent, not when it is queued: its lifetime can then be the
two minutes the specification recommends however long the client was down, it is signed
with the key current at that moment (a key retired while the client was down may already
be gone from the JWKS the client checks against), and no signed token sits in the
database. Each attempt is a new token with its own `jti`, so a client that keeps used
`jti` values never refuses a retry as a replay.
"""

import logging
import uuid
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from joserfc import jwt

from egisz.common.audit.services import record_event
from egisz.common.jobs.queue import enqueue_on_commit
from egisz.common.outbox.services import retry_delay
from egisz.idp.audit_actions import IdpAction
from egisz.idp.oidc import keys
from egisz.idp.oidc.discovery import issuer
from egisz.idp.oidc.models import LogoutDelivery, SignOutReason
from egisz.idp.oidc.subjects import sid_for, subject_for

log = logging.getLogger(__name__)

EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_TYPE = "logout+jwt"  # noqa: S105 (the JWT "typ", not a secret)
TOKEN_SECONDS = 120
# A claimed row is not due again before this, so no other worker sends it meanwhile; a
# worker that died in the middle leaves it to be sent again afterwards.
CLAIM_SECONDS = 60


def logout_uri(application) -> str:
    profile = getattr(application, "profile", None)
    return profile.backchannel_logout_uri if profile is not None else ""


def _queue(application, account, *, sid: str, reason: SignOutReason) -> LogoutDelivery:
    from egisz.idp.oidc.tasks import deliver_logout

    delivery = LogoutDelivery.objects.create(
        application=application,
        account=account,
        sub=subject_for(account, application),
        sid=sid,
        reason=reason,
    )
    enqueue_on_commit(deliver_logout, delivery.pk)
    return delivery


def queue_session_logout(session, clients, *, reason: SignOutReason) -> list[str]:
    """Tell ``clients`` that the IdP ``session`` ended (`sid` and `sub`); returns the
    client ids of those with a back-channel logout address."""
    return [
        _queue(
            client, session.account, sid=sid_for(session, client), reason=reason
        ).application.client_id
        for client in clients
        if logout_uri(client)
    ]


def queue_account_logout(account, clients, *, reason: SignOutReason) -> list[str]:
    """Tell ``clients`` that every session of ``account`` ended (`sub` only)."""
    return [
        _queue(client, account, sid="", reason=reason).application.client_id
        for client in clients
        if logout_uri(client)
    ]


def logout_token(delivery: LogoutDelivery) -> str:
    """A logout token for ``delivery``, signed now with the client's ID token algorithm."""
    application = delivery.application
    algorithm = keys.client_algorithm(application)
    key = keys.signing_key(algorithm)
    now = int(timezone.now().timestamp())
    claims = {
        "iss": issuer(),
        "aud": application.client_id,
        "iat": now,
        "exp": now + TOKEN_SECONDS,
        "jti": str(uuid.uuid4()),
        "sub": delivery.sub,
        "events": {EVENT: {}},
    }
    if delivery.sid:
        claims["sid"] = delivery.sid
    header = {"typ": TOKEN_TYPE, "alg": algorithm, "kid": key.kid}
    return jwt.encode(header, claims, key, algorithms=[algorithm])


# --- delivery (the worker) ------------------------------------------------------------------


def _claim(delivery_id: int | None = None) -> LogoutDelivery | None:
    with transaction.atomic():
        due = LogoutDelivery.objects.select_for_update(skip_locked=True).filter(
            status=LogoutDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        if delivery_id is not None:
            due = due.filter(pk=delivery_id)
        delivery = due.order_by("next_attempt_at", "id").first()
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def _send(delivery: LogoutDelivery) -> str:
    """POST the logout token; "" when the client took it, else what went wrong."""
    uri = logout_uri(delivery.application)
    if not uri:
        return "the client has no back-channel logout address any more"
    try:
        response = requests.post(
            uri,
            data={"logout_token": logout_token(delivery)},
            timeout=settings.BACKCHANNEL_LOGOUT_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return f"{type(error).__name__}: {error}"[:500]
    if 200 <= response.status_code < 300:
        return ""
    return f"HTTP {response.status_code}"


def _record(delivery: LogoutDelivery, error: str) -> None:
    now = timezone.now()
    changes = {"last_error": error}
    if not error:
        changes.update(status=LogoutDelivery.Status.DELIVERED, finished_at=now)
    else:
        retry_at = now + retry_delay(delivery.attempts)
        deadline = delivery.created_at + timedelta(hours=settings.BACKCHANNEL_LOGOUT_RETRY_HOURS)
        if retry_at > deadline:
            changes.update(status=LogoutDelivery.Status.FAILED, finished_at=now)
        else:
            changes.update(next_attempt_at=retry_at)
    with transaction.atomic():
        # Only the claim this worker holds: a row whose claim ran out and was taken by
        # another worker is that worker's to record.
        updated = LogoutDelivery.objects.filter(
            pk=delivery.pk, attempts=delivery.attempts, status=LogoutDelivery.Status.PENDING
        ).update(**changes)
        if updated and changes.get("status") == LogoutDelivery.Status.FAILED:
            log.error(
                "back-channel logout %s to %s given up after %d attempts: %s",
                delivery.pk,
                delivery.application.client_id,
                delivery.attempts,
                error,
            )
            record_event(
                action=IdpAction.BACKCHANNEL_LOGOUT_FAILED,
                subject=delivery.account_id,
                success=False,
                client=delivery.application.client_id,
                delivery=delivery.pk,
                attempts=delivery.attempts,
                error=error,
            )
        elif updated and error:
            log.warning(
                "back-channel logout %s to %s will be retried: %s",
                delivery.pk,
                delivery.application.client_id,
                error,
            )
            from egisz.idp.oidc.tasks import deliver_logout

            enqueue_on_commit(deliver_logout, delivery.pk, run_after=changes["next_attempt_at"])
    for name, value in changes.items():
        setattr(delivery, name, value)


def deliver_one(delivery_id: int | None = None) -> LogoutDelivery | None:
    """Deliver one due logout token (the given one, or the oldest due), if any; returns its
    row as recorded."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    _record(delivery, _send(delivery))
    return delivery


def deliver_due(limit: int = 100) -> int:
    """Periodic sweep: deliver up to ``limit`` due logout tokens; returns how many were tried."""
    attempted = 0
    while attempted < limit and deliver_one() is not None:
        attempted += 1
    return attempted
