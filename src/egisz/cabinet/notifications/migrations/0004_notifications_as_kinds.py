"""Stored notifications become kinds with parameters where their text is recognised.

The text was stored already worded (in the language of whoever caused the notice, mostly
Russian): a row whose Russian title and text match a kind's wording becomes that kind with
the data read back from the text; any other row keeps its text as kind «legacy». The
patterns are written out here, not imported, so that this migration keeps meaning what it
means when the wording in the code changes. Going back renders the Russian text again.
"""

import re

from django.conf import settings
from django.db import migrations

NOT_YOU = r"Если это сделали не вы, сообщите в службу поддержки: .*\."
ADDRESS_KINDS = {"адрес регистрации": "registration", "фактический адрес": "actual"}
CORRECTABLE = {
    "Фамилия": "last_name",
    "Имя": "first_name",
    "Отчество": "middle_name",
    "Дата рождения": "birth_date",
}

# kind: (event, title pattern, text pattern); the named groups are the parameters.
PATTERNS = {
    "phone_changed": (
        "contacts",
        r"Номер телефона изменён",
        r"Новое значение: (?P<new>.+?)\. " + NOT_YOU,
    ),
    "email_changed": (
        "contacts",
        r"Адрес электронной почты изменён",
        r"Новое значение: (?P<new>.+?)\. " + NOT_YOU,
    ),
    "address_changed": (
        "contacts",
        r"Изменён (?P<address_kind>адрес регистрации|фактический адрес)",
        NOT_YOU,
    ),
    "profile_completed": (
        "profile",
        r"Профиль заполнен",
        r"Все обязательные сведения указаны, документы загружены\.",
    ),
    "policy_saved": (
        "profile",
        r"Сохранены данные полиса ОМС",
        r"Полис (?P<enp>[0-9 ]+), (?P<insurer>.+)\. "
        r"Если это были не вы, сообщите в службу поддержки: .*\.",
    ),
    "correction_approved": (
        "corrections",
        r"Исправление данных принято",
        r"Изменения внесены: (?P<changes>.+)\.",
    ),
    "correction_rejected": (
        "corrections",
        r"Исправление данных отклонено",
        r"Причина: (?P<reason>.*)",
    ),
    "attachment_accepted": (
        "attachment",
        r"Прикрепление принято: (?P<organization>.+)",
        r"Вы прикреплены к медицинской организации «(?P<organization_full_name>.+)», "
        r"(?P<address>.+)\.",
    ),
    "attachment_rejected": (
        "attachment",
        r"Прикрепление отклонено: (?P<organization>.+)",
        r"Причина: (?P<reason>.*)",
    ),
}


def _changes(text: str):
    """«Фамилия: Иванова; Имя: Анна» -> [["last_name", "Иванова"], ["first_name", "Анна"]];
    None unless every part names a correctable field."""
    changes = []
    for part in text.split("; "):
        label, separator, value = part.partition(": ")
        if not separator or label not in CORRECTABLE:
            return None
        changes.append([CORRECTABLE[label], value])
    return changes


def recognise(event: str, title: str, body: str):
    """(kind, params) for a stored notice, or None."""
    for kind, (kind_event, title_pattern, body_pattern) in PATTERNS.items():
        if event != kind_event:
            continue
        title_match = re.fullmatch(title_pattern, title, re.DOTALL)
        body_match = re.fullmatch(body_pattern, body, re.DOTALL)
        if title_match is None or body_match is None:
            continue
        params = {**title_match.groupdict(), **body_match.groupdict()}
        if "address_kind" in params:
            params["address_kind"] = ADDRESS_KINDS[params["address_kind"]]
        if "changes" in params:
            params["changes"] = _changes(params["changes"])
            if params["changes"] is None:
                continue
        return kind, params
    return None


def to_kinds(apps, schema_editor):
    Notification = apps.get_model("cabinet_notifications", "Notification")
    for notice in Notification.objects.filter(kind="legacy").iterator():
        found = recognise(notice.event, notice.legacy_title, notice.legacy_body)
        if found is None:
            continue
        notice.kind, notice.params = found
        notice.legacy_title = notice.legacy_body = ""
        notice.save(update_fields=["kind", "params", "legacy_title", "legacy_body"])


def _russian(kind: str, params: dict) -> tuple[str, str]:
    contact = settings.SUPPORT_CONTACT
    not_you = f"Если это сделали не вы, сообщите в службу поддержки: {contact}."
    address_kinds = {value: label for label, value in ADDRESS_KINDS.items()}
    labels = {field: label for label, field in CORRECTABLE.items()}
    if kind == "phone_changed":
        return "Номер телефона изменён", f"Новое значение: {params['new']}. {not_you}"
    if kind == "email_changed":
        return "Адрес электронной почты изменён", f"Новое значение: {params['new']}. {not_you}"
    if kind == "address_changed":
        return f"Изменён {address_kinds[params['address_kind']]}", not_you
    if kind == "profile_completed":
        return "Профиль заполнен", "Все обязательные сведения указаны, документы загружены."
    if kind == "policy_saved":
        return "Сохранены данные полиса ОМС", (
            f"Полис {params['enp']}, {params['insurer']}. Если это были не вы, сообщите в "
            f"службу поддержки: {contact}."
        )
    if kind == "correction_approved":
        changes = "; ".join(f"{labels[field]}: {value}" for field, value in params["changes"])
        return "Исправление данных принято", f"Изменения внесены: {changes}."
    if kind == "correction_rejected":
        return "Исправление данных отклонено", f"Причина: {params['reason']}"
    if kind == "attachment_accepted":
        return f"Прикрепление принято: {params['organization']}", (
            f"Вы прикреплены к медицинской организации «{params['organization_full_name']}», "
            f"{params['address']}."
        )
    return f"Прикрепление отклонено: {params['organization']}", f"Причина: {params['reason']}"


def to_text(apps, schema_editor):
    Notification = apps.get_model("cabinet_notifications", "Notification")
    for notice in Notification.objects.exclude(kind="legacy").iterator():
        notice.legacy_title, notice.legacy_body = _russian(notice.kind, notice.params)
        notice.kind, notice.params = "legacy", {}
        notice.save(update_fields=["kind", "params", "legacy_title", "legacy_body"])


class Migration(migrations.Migration):
    dependencies = [
        ("cabinet_notifications", "0003_notification_kind_and_params"),
    ]

    operations = [migrations.RunPython(to_kinds, to_text)]
