"""Finding the account a person means by what they typed: phone, e-mail or СНИЛС."""

from django.core.exceptions import ValidationError
from django.db.models import Q

from egisz.common.identifiers import normalize_email, normalize_mobile_phone, normalize_snils
from egisz.idp.accounts.models import Account


def lookup_keys(identifier: str) -> Q | None:
    """The query matching every reading of ``identifier``, or None if it fits none.

    «8 916 123-45-67» is 11 digits like a СНИЛС, so both readings are tried.
    """
    text = (identifier or "").strip()[:254]
    if not text:
        return None
    if "@" in text:
        try:
            return Q(email__iexact=normalize_email(text))
        except ValidationError:
            return None
    query = Q()
    for field, normalize in (("phone", normalize_mobile_phone), ("snils", normalize_snils)):
        try:
            query |= Q(**{field: normalize(text)})
        except ValidationError:
            continue
    return query or None


def find_account(identifier: str) -> Account | None:
    query = lookup_keys(identifier)
    if query is None:
        return None
    matches = list(Account.objects.filter(query)[:2])
    # Two accounts for one string would be a phone that is also someone's СНИЛС:
    # refusing is safer than guessing.
    return matches[0] if len(matches) == 1 else None


def normalized_key(identifier: str) -> str:
    """A stable key for throttling an identifier whether or not an account has it."""
    return " ".join((identifier or "").lower().split())[:254]
