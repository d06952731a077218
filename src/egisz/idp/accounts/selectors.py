"""Read-side queries of the accounts app."""

import uuid
from dataclasses import dataclass

from django.utils import timezone

from egisz.idp.accounts.models import (
    VERIFIED_LEVELS,
    Account,
    IdentityConfirmation,
    Level,
    PendingRegistration,
    RegistryCheck,
)


def phone_in_use(phone: str) -> Account | None:
    return Account.objects.filter(phone=phone).first() if phone else None


def snils_checked_elsewhere(snils: str | None, *, exclude: Account | None = None) -> bool:
    """Whether another account holds ``snils`` as checked (its own, a way in). A СНИЛС
    someone merely typed holds nothing: see services, «Registration»."""
    if not snils:
        return False
    query = Account.objects.filter(snils=snils, level__in=VERIFIED_LEVELS)
    if exclude is not None:
        query = query.exclude(pk=exclude.pk)
    return query.exists()


def email_confirmed_elsewhere(email: str | None, *, exclude: Account | None = None) -> bool:
    """Whether another account has ``email`` confirmed (case-insensitively: one mailbox)."""
    if not email:
        return False
    query = Account.objects.filter(email__iexact=email, email_confirmed=True)
    if exclude is not None:
        query = query.exclude(pk=exclude.pk)
    return query.exists()


def pending_registration(token: str | None) -> PendingRegistration | None:
    """The unexpired registration behind ``token`` (kept in the person's session)."""
    try:
        value = uuid.UUID(str(token))
    except (TypeError, ValueError):
        return None
    return PendingRegistration.objects.filter(token=value, expires_at__gt=timezone.now()).first()


def latest_registry_check(account: Account) -> RegistryCheck | None:
    return account.registry_checks.order_by("-created_at", "-id").first()


def latest_identity_confirmation(account: Account) -> IdentityConfirmation | None:
    return account.confirmations.select_related("operator").order_by("-created_at").first()


@dataclass(frozen=True)
class AccountOverview:
    """What the account page shows besides the account's own fields."""

    registry_check: RegistryCheck | None
    identity_confirmation: IdentityConfirmation | None
    can_fix_data: bool


def account_overview(account: Account) -> AccountOverview:
    check = latest_registry_check(account)
    return AccountOverview(
        registry_check=check,
        identity_confirmation=latest_identity_confirmation(account),
        can_fix_data=can_fix_personal_data(account, check),
    )


def can_fix_personal_data(account: Account, check: RegistryCheck | None) -> bool:
    """Data may be corrected only while unverified and not under a running check: a verified
    record changed by its owner would no longer be what the registry confirmed."""
    if account.level != Level.SIMPLIFIED:
        return False
    return check is None or check.status in (
        RegistryCheck.Status.REJECTED,
        RegistryCheck.Status.ERROR,
    )
