"""What the services a citizen logged in to learn when the citizen's IdP session ends, or
when the account itself can no longer be trusted: their tokens are revoked and each of them
with a back-channel logout address is sent a logout token (queued here, delivered by the
worker). Each function runs inside the caller's transaction and journals what it did.

- One session ends (logout, «Завершить», expiry, a service's logout request): the tokens
  issued in that session go, and its services are told that session (`sid`) ended.
- The account is signed out everywhere (password changed or recovered, «Завершить все
  сеансы, кроме текущего», blocked by an operator): every token of every service goes, and
  each service that may still hold a session is told that all sessions of the citizen
  (`sub`) ended.
- One service loses the citizen (consent withdrawn): its tokens go and it is told likewise.
"""

from django.db import transaction

from egisz.common.audit.services import record_event
from egisz.common.request_meta import SYSTEM, RequestMeta
from egisz.idp.audit_actions import IdpAction
from egisz.idp.oidc import backchannel, revocation
from egisz.idp.oidc.models import SignOutReason


@transaction.atomic
def session_ended(
    session,
    *,
    reason: SignOutReason,
    initiator=None,
    meta: RequestMeta = SYSTEM,
    actor=None,
) -> None:
    """The IdP ``session`` (an AccountSession) has ended. ``initiator``, the client that
    asked for the logout, is not told what it already knows."""
    clients = list(revocation.clients_of_session(session))
    revoked = revocation.revoke_session_tokens(session)
    told = backchannel.queue_session_logout(
        session, [client for client in clients if client != initiator], reason=reason
    )
    if clients or revoked:
        record_event(
            action=IdpAction.SESSION_SIGNED_OUT,
            meta=meta,
            actor=actor,
            subject=session.account_id,
            session=session.pk,
            reason=reason.value,
            clients=[client.client_id for client in clients],
            notified=told,
            **revoked.details(),
        )


@transaction.atomic
def account_signed_out(
    account, *, reason: SignOutReason, meta: RequestMeta = SYSTEM, actor=None
) -> revocation.Revoked:
    """Every token of ``account`` at every service is revoked and the services are told."""
    clients = list(revocation.clients_of_account(account))
    revoked = revocation.revoke_account_tokens(account)
    told = backchannel.queue_account_logout(account, clients, reason=reason)
    record_event(
        action=IdpAction.TOKENS_REVOKED,
        meta=meta,
        actor=actor,
        subject=account,
        reason=reason.value,
        clients=[client.client_id for client in clients],
        notified=told,
        **revoked.details(),
    )
    return revoked


def client_signed_out(
    account, application, *, reason: SignOutReason
) -> tuple[revocation.Revoked, bool]:
    """Every token of ``account`` at ``application`` is revoked and the service is told.
    Returns what was revoked and whether a logout token was queued; the caller journals
    both with its own event."""
    revoked = revocation.revoke_account_tokens(account, application)
    told = backchannel.queue_account_logout(account, [application], reason=reason)
    return revoked, bool(told)
