"""Scopes, the claims each one releases, and how they read on the consent screen.

The scopes are named as ЕСИА names them; the standard OpenID Connect scopes (profile,
email, phone) map onto the same data with the standard claim names, so generic relying
parties work unchanged. Nothing a granted scope does not cover is ever released, and no
scope is offered for data the IdP does not collect (gender, addresses). ``offline_access``
releases no claim: it is the citizen's consent to a refresh token (OpenID Connect Core §11).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from egisz.common.identifiers import format_passport, format_snils

# Account levels as `acr` values (and what `acr_values` may ask for), lowest first.
ACR_BY_LEVEL = {
    "simplified": "urn:egisz:loa:simplified",
    "standard": "urn:egisz:loa:standard",
    "confirmed": "urn:egisz:loa:confirmed",
}
LEVEL_BY_ACR = {uri: level for level, uri in ACR_BY_LEVEL.items()}
LEVEL_ORDER = list(ACR_BY_LEVEL)

OFFLINE_ACCESS = "offline_access"
# What an ID token of this provider carries (OpenID Connect Core §2; jti: RFC 7519).
ID_TOKEN_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "jti",
    "sid",
)


def _name(account) -> dict:
    return {
        "family_name": account.last_name,
        "given_name": account.first_name,
        "middle_name": account.middle_name or None,
        "name": account.full_name,
    }


def _birthdate(account) -> dict:
    return {"birthdate": account.birth_date.isoformat() if account.birth_date else None}


def _email(account) -> dict:
    if not account.email:
        return {}
    return {"email": account.email, "email_verified": account.email_confirmed}


def _phone(account) -> dict:
    return {"phone_number": account.phone, "phone_number_verified": True}


def _snils(account) -> dict:
    return {"snils": format_snils(account.snils) if account.snils else None}


def _inn(account) -> dict:
    return {"inn": account.inn or None}


def _id_doc(account) -> dict:
    if not account.passport:
        return {}
    return {
        "id_doc": {
            "type": "RF_PASSPORT",
            "series": account.passport[:4],
            "number": account.passport[4:],
            "display": format_passport(account.passport),
        }
    }


def _no_claims(account) -> dict:
    return {}


@dataclass(frozen=True)
class Scope:
    name: str
    label: str  # what the citizen reads on the consent screen
    release: Callable[[object], dict]
    claim_names: tuple[str, ...]
    shown: bool = True  # openid itself is not «data» to agree to


SCOPES: dict[str, Scope] = {
    scope.name: scope
    for scope in [
        Scope("openid", _("Вход с учётной записью Госуслуг"), _no_claims, ("sub",), False),
        Scope(
            "fullname",
            _("Фамилия, имя и отчество"),
            _name,
            ("family_name", "given_name", "middle_name", "name"),
        ),
        Scope("birthdate", _("Дата рождения"), _birthdate, ("birthdate",)),
        Scope("snils", _("СНИЛС"), _snils, ("snils",)),
        Scope("inn", _("ИНН"), _inn, ("inn",)),
        Scope("id_doc", _("Паспорт: серия и номер"), _id_doc, ("id_doc",)),
        Scope("mobile", _("Мобильный телефон"), _phone, ("phone_number", "phone_number_verified")),
        Scope("email", _("Электронная почта"), _email, ("email", "email_verified")),
        # Standard OpenID Connect scopes over the same data.
        Scope(
            "profile",
            _("Фамилия, имя, отчество и дата рождения"),
            lambda a: {**_name(a), **_birthdate(a)},
            ("family_name", "given_name", "middle_name", "name", "birthdate"),
        ),
        Scope("phone", _("Мобильный телефон"), _phone, ("phone_number", "phone_number_verified")),
        # Not data: the client keeps a refresh token and may ask for the data above
        # without the citizen logging in (EgiszValidator.save_bearer_token).
        Scope(
            OFFLINE_ACCESS,
            _("Доступ к этим данным, когда вы не пользуетесь сервисом"),
            _no_claims,
            (),
        ),
    ]
}


def known_scopes(requested: Iterable[str]) -> list[str]:
    return [name for name in requested if name in SCOPES]


def claims_for(account, scopes: Iterable[str]) -> dict:
    """The claims ``scopes`` release for ``account``; empty values are left out."""
    released: dict = {}
    for name in scopes:
        scope = SCOPES.get(name)
        if scope is not None:
            released.update(scope.release(account))
    return {key: value for key, value in released.items() if value not in (None, "")}


def consent_lines(scopes: Iterable[str]) -> list[str]:
    """One plain line per piece of data, without repeats (mobile and phone read alike), in
    the order of the scope table (so offline access comes after the data it is about)."""
    wanted = set(scopes)
    lines: list[str] = []
    for name, scope in SCOPES.items():
        if name in wanted and scope.shown and str(scope.label) not in lines:
            lines.append(str(scope.label))
    return lines


def supported_claims() -> list[str]:
    names = set(ID_TOKEN_CLAIMS)
    for scope in SCOPES.values():
        names.update(scope.claim_names)
    return sorted(names)
