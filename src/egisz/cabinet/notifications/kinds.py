"""What a notification says, by kind.

A notification is stored as a kind and its parameters (data: a masked contact, an
organisation's name, an operator's reason — never words of the interface); its title and
text are rendered when read, in the reader's language, from the kind's wording here. A
kind belongs to one event type of ``events.EVENT_TYPES`` (the preferences are per event).
Notifications stored before the kinds existed are of kind ``LEGACY`` and show the text
they were stored with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class NotificationKind(models.TextChoices):
    PHONE_CHANGED = "phone_changed", gettext_lazy("Изменение телефона")
    EMAIL_CHANGED = "email_changed", gettext_lazy("Изменение электронной почты")
    ADDRESS_CHANGED = "address_changed", gettext_lazy("Изменение адреса")
    PROFILE_COMPLETED = "profile_completed", gettext_lazy("Профиль заполнен")
    POLICY_SAVED = "policy_saved", gettext_lazy("Сохранены данные полиса ОМС")
    CORRECTION_APPROVED = "correction_approved", gettext_lazy("Исправление данных принято")
    CORRECTION_REJECTED = "correction_rejected", gettext_lazy("Исправление данных отклонено")
    ATTACHMENT_ACCEPTED = "attachment_accepted", gettext_lazy("Прикрепление принято")
    ATTACHMENT_REJECTED = "attachment_rejected", gettext_lazy("Прикрепление отклонено")
    LEGACY = "legacy", gettext_lazy("Уведомление прежнего вида")


@dataclass(frozen=True)
class Wording:
    event: str  # key of events.EVENT_TYPES
    title: Callable[[dict], str]
    body: Callable[[dict], str]


def _contact_changed(params: dict) -> str:
    return _(
        "Новое значение: %(new)s. Если это сделали не вы, сообщите в службу поддержки: %(contact)s."
    ) % {"new": params["new"], "contact": settings.SUPPORT_CONTACT}


def _address_title(params: dict) -> str:
    from egisz.cabinet.patients.models import Address

    return _("Изменён %(kind)s") % {"kind": Address.Kind(params["address_kind"]).label}


def _not_you(params: dict) -> str:
    return _("Если это сделали не вы, сообщите в службу поддержки: %(contact)s.") % {
        "contact": settings.SUPPORT_CONTACT
    }


def _policy_body(params: dict) -> str:
    return _(
        "Полис %(enp)s, %(insurer)s. Если это были не вы, сообщите в службу поддержки: %(contact)s."
    ) % {"enp": params["enp"], "insurer": params["insurer"], "contact": settings.SUPPORT_CONTACT}


def _changes_body(params: dict) -> str:
    from egisz.cabinet.profile.models import CORRECTABLE_FIELDS

    changes = "; ".join(
        f"{CORRECTABLE_FIELDS[field]}: {value}" for field, value in params["changes"]
    )
    return _("Изменения внесены: %(changes)s.") % {"changes": changes}


def _reason(params: dict) -> str:
    return _("Причина: %(reason)s") % {"reason": params["reason"]}


WORDINGS: dict[str, Wording] = {
    NotificationKind.PHONE_CHANGED: Wording(
        "contacts", lambda params: _("Номер телефона изменён"), _contact_changed
    ),
    NotificationKind.EMAIL_CHANGED: Wording(
        "contacts", lambda params: _("Адрес электронной почты изменён"), _contact_changed
    ),
    NotificationKind.ADDRESS_CHANGED: Wording("contacts", _address_title, _not_you),
    NotificationKind.PROFILE_COMPLETED: Wording(
        "profile",
        lambda params: _("Профиль заполнен"),
        lambda params: _("Все обязательные сведения указаны, документы загружены."),
    ),
    NotificationKind.POLICY_SAVED: Wording(
        "profile", lambda params: _("Сохранены данные полиса ОМС"), _policy_body
    ),
    NotificationKind.CORRECTION_APPROVED: Wording(
        "corrections", lambda params: _("Исправление данных принято"), _changes_body
    ),
    NotificationKind.CORRECTION_REJECTED: Wording(
        "corrections", lambda params: _("Исправление данных отклонено"), _reason
    ),
    NotificationKind.ATTACHMENT_ACCEPTED: Wording(
        "attachment",
        lambda params: (
            _("Прикрепление принято: %(organization)s") % {"organization": params["organization"]}
        ),
        lambda params: (
            _("Вы прикреплены к медицинской организации «%(organization)s», %(address)s.")
            % {"organization": params["organization_full_name"], "address": params["address"]}
        ),
    ),
    NotificationKind.ATTACHMENT_REJECTED: Wording(
        "attachment",
        lambda params: (
            _("Прикрепление отклонено: %(organization)s") % {"organization": params["organization"]}
        ),
        _reason,
    ),
}


def render(kind: str, params: dict) -> tuple[str, str]:
    """(title, text) of a notification in the active language."""
    wording = WORDINGS[kind]
    return wording.title(params), wording.body(params)
