"""Consent to hand a citizen's data to a partner service (152-ФЗ): reads and writes.

A consent is a Consent row (citizen, client, scopes, time, how given). The citizen's
current consent to a client is the latest one not withdrawn; a new consent to more data
records the union of what was agreed before and what is agreed now, so the latest row
always covers everything the client may receive. Withdrawing ends every consent to that
client and revokes its tokens at once.

Writes follow the house rule: state change, audit event and notification in one
transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.common.audit.services import record_event
from egisz.common.request_meta import RequestMeta
from egisz.idp.accounts.notifications import notify_owner
from egisz.idp.audit_actions import IdpAction
from egisz.idp.oidc import signout
from egisz.idp.oidc.claims import SCOPES, consent_lines
from egisz.idp.oidc.models import Consent, SignOutReason


def _ordered(scopes: Iterable[str]) -> list[str]:
    """Known scopes in the order of the scope table (stable records, stable screens)."""
    wanted = set(scopes)
    return [name for name in SCOPES if name in wanted]


# --- selectors ----------------------------------------------------------------------------


def current_consent(*, account, application) -> Consent | None:
    """The citizen's latest consent to ``application`` that is not withdrawn."""
    return (
        Consent.objects.filter(account=account, application=application, withdrawn_at__isnull=True)
        .order_by("-given_at", "-pk")
        .first()
    )


def consent_covers(*, account, application, scopes: Iterable[str]) -> bool:
    """Whether the current consent covers every one of ``scopes``."""
    consent = current_consent(account=account, application=application)
    return consent is not None and set(scopes) <= consent.scope_set


def owned_consent(*, account, consent_id: int) -> Consent | None:
    """One of the citizen's own consents still in force (None for anyone else's)."""
    return (
        Consent.objects.select_related("application")
        .filter(pk=consent_id, account=account, withdrawn_at__isnull=True)
        .first()
    )


@dataclass(frozen=True)
class LinkedService:
    consent_id: int
    name: str
    description: str
    data: list[str]  # plain Russian, one line per piece of data
    given_at: datetime
    first_given_at: datetime


def linked_services(*, account) -> list[LinkedService]:
    """The services the citizen consented to, newest consent first (one query)."""
    rows = (
        Consent.objects.filter(account=account, withdrawn_at__isnull=True)
        .select_related("application", "application__profile")
        .order_by("-given_at", "-pk")
    )
    latest: dict[int, Consent] = {}
    first_given: dict[int, datetime] = {}
    for consent in rows:
        latest.setdefault(consent.application_id, consent)
        first_given[consent.application_id] = consent.given_at  # oldest comes last
    services = []
    for application_id, consent in latest.items():
        profile = getattr(consent.application, "profile", None)
        services.append(
            LinkedService(
                consent_id=consent.pk,
                name=consent.application.name,
                description=profile.description if profile else "",
                data=consent_lines(_ordered(consent.scope_set)),
                given_at=consent.given_at,
                first_given_at=first_given[application_id],
            )
        )
    return services


# --- services -----------------------------------------------------------------------------


@transaction.atomic
def give_consent(
    *,
    account,
    application,
    scopes: Iterable[str],
    meta: RequestMeta,
    via: str = Consent.Via.SCREEN,
) -> Consent:
    """Record the citizen's consent to hand ``scopes`` to ``application``.

    The new row holds what the current consent already covered as well, so the latest
    consent is always the whole of what the client may receive."""
    previous = current_consent(account=account, application=application)
    agreed = _ordered(scopes)
    covered = _ordered({*agreed, *(previous.scope_set if previous else ())})
    consent = Consent.objects.create(
        account=account,
        application=application,
        scopes=" ".join(covered),
        given_at=timezone.now(),
        given_via=via,
    )
    record_event(
        action=IdpAction.CONSENT_GIVEN,
        meta=meta,
        actor=account,
        subject=account,
        consent=consent.pk,
        client_id=application.client_id,
        client=application.name,
        scopes=agreed,
        covers=covered,
        via=via,
    )
    return consent


@transaction.atomic
def refuse_consent(*, account, application, scopes: Iterable[str], meta: RequestMeta) -> None:
    """The citizen pressed «Отказаться»: nothing is handed over; the refusal is journaled."""
    record_event(
        action=IdpAction.CONSENT_REFUSED,
        meta=meta,
        actor=account,
        subject=account,
        client_id=application.client_id,
        client=application.name,
        scopes=_ordered(scopes),
    )


@dataclass(frozen=True)
class Withdrawal:
    consents: int
    access_tokens: int
    refresh_tokens: int
    codes: int


@transaction.atomic
def withdraw_consent(*, account, application, meta: RequestMeta) -> Withdrawal:
    """End the citizen's consent to ``application``: every consent row to it is marked
    withdrawn, its tokens for this citizen are revoked and its unused codes deleted at
    once (access, refresh and ID tokens), the service is sent a back-channel logout
    token, the journal records it and the owner is told by SMS (and e-mail)."""
    now = timezone.now()
    consents = Consent.objects.filter(
        account=account, application=application, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    # The ID tokens go too: a withdrawn service's id_token_hint no longer names a login.
    revoked, told = signout.client_signed_out(
        account, application, reason=SignOutReason.CONSENT_WITHDRAWN
    )
    record_event(
        action=IdpAction.CONSENT_WITHDRAWN,
        meta=meta,
        actor=account,
        subject=account,
        client_id=application.client_id,
        client=application.name,
        consents=consents,
        refresh_tokens_revoked=revoked.refresh_tokens,
        access_tokens_deleted=revoked.access_tokens,
        id_tokens_deleted=revoked.id_tokens,
        codes_deleted=revoked.codes,
        notified=told,
    )
    notify_owner(
        account,
        subject=_("Согласие на передачу данных отозвано"),
        text=_(
            "Вы отозвали согласие на передачу данных сервису «%(name)s». Сервис больше не "
            "получит ваших данных, его доступ закрыт. Если это были не вы, смените пароль "
            "на Госуслугах."
        )
        % {"name": application.name},
    )
    return Withdrawal(consents, revoked.access_tokens, revoked.refresh_tokens, revoked.codes)
