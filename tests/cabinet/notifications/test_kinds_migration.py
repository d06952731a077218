"""The migration turning stored notices into kinds with parameters: a notice whose Russian
text matches a kind's wording becomes that kind (and then reads in the reader's language);
any other keeps its text as a «legacy» notice that shows it unchanged."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import override

from egisz.cabinet.notifications.models import Notification
from tests.common.catalogue import english

APP = "cabinet_notifications"
BEFORE = [(APP, "0002_russian_names")]
AFTER = [(APP, "0004_notifications_as_kinds")]
CONTACT = "8 800 100-00-00"

STORED = {
    # (event, title, text) as the cabinet stored them -> (kind, params)
    (
        "contacts",
        "Номер телефона изменён",
        f"Новое значение: +7 *** ***-45-67. Если это сделали не вы, сообщите в службу "
        f"поддержки: {CONTACT}.",
    ): ("phone_changed", {"new": "+7 *** ***-45-67"}),
    (
        "contacts",
        "Изменён фактический адрес",
        f"Если это сделали не вы, сообщите в службу поддержки: {CONTACT}.",
    ): ("address_changed", {"address_kind": "actual"}),
    (
        "profile",
        "Сохранены данные полиса ОМС",
        f"Полис 1234 5678 9012 3456, АО «СОГАЗ-Мед». Если это были не вы, сообщите в службу "
        f"поддержки: {CONTACT}.",
    ): ("policy_saved", {"enp": "1234 5678 9012 3456", "insurer": "АО «СОГАЗ-Мед»"}),
    (
        "corrections",
        "Исправление данных принято",
        "Изменения внесены: Фамилия: Петрова; Дата рождения: 02.03.1990.",
    ): (
        "correction_approved",
        {"changes": [["last_name", "Петрова"], ["birth_date", "02.03.1990"]]},
    ),
    (
        "attachment",
        "Прикрепление принято: ГП № 2",
        "Вы прикреплены к медицинской организации «ГБУЗ «ГП № 2»», Новосибирск, ул. Ленина, 1.",
    ): (
        "attachment_accepted",
        {
            "organization": "ГП № 2",
            "organization_full_name": "ГБУЗ «ГП № 2»",
            "address": "Новосибирск, ул. Ленина, 1",
        },
    ),
    (
        "attachment",
        "Прикрепление отклонено: ГП № 2",
        "Причина: нет свободных мест.\nОбратитесь в другую организацию",
    ): (
        "attachment_rejected",
        {
            "organization": "ГП № 2",
            "reason": "нет свободных мест.\nОбратитесь в другую организацию",
        },
    ),
    # Worded in English by whoever caused it, or in a wording the code no longer has.
    ("corrections", "Correction approved", "Changes made: Last name: Petrova."): ("legacy", {}),
    ("corrections", "Исправление данных принято", "Изменения внесены: Рост: 180."): (
        "legacy",
        {},
    ),
}


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_stored_notices_become_kinds_where_recognised(patient, settings):
    settings.SUPPORT_CONTACT = CONTACT
    OldNotification = migrate(BEFORE).get_model(APP, "Notification")
    ids = {
        OldNotification.objects.create(
            patient_id=patient.pk, event=event, title=title, body=body
        ).pk: (title, body, expected)
        for (event, title, body), expected in STORED.items()
    }
    try:
        migrate(AFTER)
        for pk, (title, body, (kind, params)) in ids.items():
            notice = Notification.objects.get(pk=pk)
            assert (notice.kind, notice.params) == (kind, params), title
            with override("ru"):
                assert (notice.title, notice.body) == (title, body)
        # A converted notice now follows the reader's language; a legacy one cannot.
        rejected = Notification.objects.get(kind="attachment_rejected")
        with (
            english(
                {"Прикрепление отклонено: %(organization)s": "Attachment refused: %(organization)s"}
            ),
            override("en"),
        ):
            assert rejected.title == "Attachment refused: ГП № 2"

        # Going back gives the Russian text again.
        OldNotification = migrate(BEFORE).get_model(APP, "Notification")
        for pk, (title, body, _expected) in ids.items():
            old = OldNotification.objects.get(pk=pk)
            assert (old.title, old.body) == (title, body)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
