"""Finding the account a person means by what they typed: phone, e-mail or СНИЛС.

An e-mail is a way in once it is confirmed, a СНИЛС once the registry (or an operator) has
checked it: before that they are only what someone typed into a form, and may be another
person's (see accounts.services, «Registration»).
"""

import contextlib
import enum

from django.core.exceptions import ValidationError
from django.db.models import Q

from egisz.common.identifiers import normalize_email, normalize_mobile_phone, normalize_snils
from egisz.idp.accounts.models import VERIFIED_LEVELS, Account

MAX_IDENTIFIER = 254


class Kind(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    SNILS = "snils"
    # Fits none of the three: still counted (and locked) as typed, tidied up.
    OTHER = "other"


def readings(identifier: str) -> list[tuple[Kind, str]]:
    """Every normalised reading of ``identifier``: (kind, value), in the order tried.

    «8 916 123-45-67» is 11 digits like a СНИЛС, so it may have two readings. Values are
    the stored forms (phone in E.164, СНИЛС as 11 digits) and e-mail wholly lower-cased.
    """
    text = (identifier or "").strip()[:MAX_IDENTIFIER]
    if not text:
        return []
    found: list[tuple[Kind, str]] = []
    if "@" in text:
        with contextlib.suppress(ValidationError):
            found.append((Kind.EMAIL, normalize_email(text).lower()))
    else:
        for kind, normalize in (
            (Kind.PHONE, normalize_mobile_phone),
            (Kind.SNILS, normalize_snils),
        ):
            try:
                found.append((kind, normalize(text)))
            except ValidationError:
                continue
    return found or [(Kind.OTHER, " ".join(text.casefold().split()))]


def _query(kind: Kind, value: str) -> Q | None:
    if kind is Kind.PHONE:
        return Q(phone=value)
    if kind is Kind.EMAIL:
        return Q(email__iexact=value, email_confirmed=True)
    if kind is Kind.SNILS:
        return Q(snils=value, level__in=VERIFIED_LEVELS)
    return None


def find_account(identifier: str) -> Account | None:
    """The active account ``identifier`` names, or None."""
    query = Q()
    for kind, value in readings(identifier):
        query |= _query(kind, value) or Q(pk__in=[])
    if not query:
        return None
    matches = list(Account.objects.filter(query, is_active=True)[:2])
    # Two accounts for one string would be a phone that is also someone's СНИЛС:
    # refusing is safer than guessing.
    return matches[0] if len(matches) == 1 else None


def kind_for(account: Account, identifier: str) -> Kind:
    """Which of the account's identifiers ``identifier`` is (for the owner's notices)."""
    for kind, value in readings(identifier):
        if (kind is Kind.PHONE and value == account.phone) or (
            kind is Kind.SNILS and value == account.snils
        ):
            return kind
        if kind is Kind.EMAIL:
            return kind
    return Kind.OTHER


def account_identifiers(account: Account) -> list[str]:
    """Everything that logs in to ``account``, each way a person may type it: the phone
    as +7…, 8… and 7… (the last two may also read as a СНИЛС), and the confirmed e-mail and
    checked СНИЛС."""
    national = account.phone[2:] if account.phone.startswith("+7") else ""
    typed = [account.phone, f"8{national}", f"7{national}"] if national else [account.phone]
    if account.email and account.email_confirmed:
        typed.append(account.email)
    if account.snils and account.level in VERIFIED_LEVELS:
        typed.append(account.snils)
    return typed
