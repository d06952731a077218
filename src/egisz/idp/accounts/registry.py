"""Checking a citizen's СНИЛС and passport against the official registry.

The registry is an extension point (settings.REGISTRY_BACKEND, a dotted path to a class
whose instances have ``verify``). The demo backend reads DemoRegistryRecord, a local table
loaded by `egisz demo-data`; a production backend calls the real service and raises
RegistryUnavailable when it cannot get an answer, so the check is retried later.
"""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from egisz.idp.accounts.models import DemoRegistryRecord


class Mismatch:
    """What did not match, stored in RegistryCheck.reason as comma-separated codes, so the
    explanation is translated when it is shown rather than frozen in one language."""

    SNILS_NOT_FOUND = "snils_not_found"
    PASSPORT = "passport"
    NAME = "name"
    BIRTH_DATE = "birth_date"
    # Not the registry's answer: the data matched, but another account already holds the
    # СНИЛС as checked (accounts.services._registry_verified).
    SNILS_TAKEN = "snils_taken"


@dataclass(frozen=True)
class RegistryAnswer:
    matched: bool
    mismatches: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        return ",".join(self.mismatches)


class RegistryUnavailable(Exception):
    """The registry gave no answer (timeout, maintenance): try again later."""


class RegistryBackend(Protocol):
    def verify(
        self,
        *,
        snils: str,
        passport: str,
        last_name: str,
        first_name: str,
        middle_name: str,
        birth_date: date | None,
    ) -> RegistryAnswer: ...


def same_name(left: str, right: str) -> bool:
    """Registries differ in case and in writing «ё» as «е»; neither makes another person."""

    def key(value: str) -> str:
        return " ".join((value or "").split()).casefold().replace("ё", "е")

    return key(left) == key(right)


class DemoRegistryBackend:
    """Matches on СНИЛС, then compares passport, full name and birth date."""

    def verify(
        self,
        *,
        snils: str,
        passport: str,
        last_name: str,
        first_name: str,
        middle_name: str,
        birth_date: date | None,
    ) -> RegistryAnswer:
        record = DemoRegistryRecord.objects.filter(snils=snils).first() if snils else None
        if record is None:
            return RegistryAnswer(False, (Mismatch.SNILS_NOT_FOUND,))
        mismatches = []
        if record.passport != passport:
            mismatches.append(Mismatch.PASSPORT)
        names = zip(
            (record.last_name, record.first_name, record.middle_name),
            (last_name, first_name, middle_name),
            strict=True,
        )
        if not all(same_name(theirs, ours) for theirs, ours in names):
            mismatches.append(Mismatch.NAME)
        if record.birth_date != birth_date:
            mismatches.append(Mismatch.BIRTH_DATE)
        return RegistryAnswer(not mismatches, tuple(mismatches))


def registry_backend() -> RegistryBackend:
    return import_string(settings.REGISTRY_BACKEND)()


def describe_mismatch(reason: str) -> str:
    """The plain-Russian explanation of a stored ``reason``."""
    codes = [code for code in (reason or "").split(",") if code]
    if Mismatch.SNILS_TAKEN in codes:
        return _(
            "СНИЛС и паспорт совпали со сведениями реестра, но этот СНИЛС уже подтверждён в "
            "другой учётной записи. Войдите в неё или восстановите пароль; если вы её не "
            "создавали, обратитесь в службу поддержки: %(contact)s."
        ) % {"contact": settings.SUPPORT_CONTACT}
    if Mismatch.SNILS_NOT_FOUND in codes:
        return _("СНИЛС не найден в реестре. Проверьте, правильно ли он указан.")
    labels = {
        Mismatch.PASSPORT: _("серия и номер паспорта"),
        Mismatch.NAME: _("фамилия, имя или отчество"),
        Mismatch.BIRTH_DATE: _("дата рождения"),
    }
    parts = [str(labels[code]) for code in codes if code in labels]
    if not parts:
        return _("Данные не совпали со сведениями реестра.")
    return _("Не совпали со сведениями реестра: %(fields)s.") % {"fields": ", ".join(parts)}
