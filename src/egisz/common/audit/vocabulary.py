"""The vocabularies of audit actions.

Each site names its actions in one ``models.TextChoices`` enum (``egisz.idp.audit_actions``,
``egisz.cabinet.audit_actions``; ``CommonAction`` here for what ``common`` itself records);
the setting ``AUDIT_VOCABULARIES`` lists a site's enums by dotted path, so ``common`` never
imports a site. A member's value is what the journal stores (the strings stored before the
vocabularies existed, so no journal row needed rewriting) and its Russian label is what the
journals show.
"""

from __future__ import annotations

import enum
from functools import cache

from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


class CommonAction(models.TextChoices):
    SMS_CEILING_REACHED = (
        "alert.sms_ceiling_reached",
        _("Достигнут общий предел SMS с кодами на неподтверждённые номера"),
    )
    FIELD_KEY_ROTATED = (
        "keyring.field_key_rotated",
        _("Секреты перешифрованы текущим ключом кольца"),
    )


@cache
def vocabularies() -> tuple[type[models.TextChoices], ...]:
    named = tuple(import_string(path) for path in getattr(settings, "AUDIT_VOCABULARIES", ()))
    return (CommonAction, *named)


@cache
def _members() -> dict[str, enum.Enum]:
    members: dict[str, enum.Enum] = {}
    for vocabulary in vocabularies():
        for member in vocabulary:
            if member.value in members:
                raise ImproperlyConfiguredVocabulary(
                    f"audit action {member.value!r} is named twice"
                )
            members[member.value] = member
    return members


class ImproperlyConfiguredVocabulary(Exception):
    pass


class UnknownAction(ValueError):
    """An audit action no vocabulary of this site names."""


def member(action) -> models.TextChoices:
    """``action`` itself when it is a member of one of this site's vocabularies; a plain
    string (even one equal to a member's value) or another site's member raises
    UnknownAction, so every action written is one the code names by its member."""
    found = _members().get(action) if isinstance(action, enum.Enum) else None
    if found is None or found is not action:
        raise UnknownAction(f"audit action {action!r} is not a member of this site's vocabularies")
    return found


def label(action: str, default=None):
    """What the journals call ``action``; ``default`` for a value no vocabulary names (a row
    written by an older version)."""
    found = _members().get(action)
    return found.label if found is not None else default


def choices() -> list[tuple[str, str]]:
    return [(value, found.label) for value, found in sorted(_members().items())]
