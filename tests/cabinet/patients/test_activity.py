"""«Журнал активности»: the patient's own events, newest first, in Russian words."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from egisz.cabinet.patients.activity import (
    ACTIVITY_LABELS,
    activity_label,
    register_activity_labels,
)
from egisz.common.audit.services import record_event

PAGE = reverse("patients:activity")


def rows(response):
    return response.context["rows"]


def test_the_journal_lists_own_events_newest_first(
    client, patient, other_patient, operator, time_machine
):
    time_machine.move_to(datetime(2030, 3, 1, 9, 0, tzinfo=UTC), tick=False)
    client.force_login(patient.user)
    record_event(action="cabinet.login", actor=patient.user)
    time_machine.shift(timedelta(minutes=1))
    record_event(action="cabinet.phone_changed", actor=patient.user, old="x", new="y")
    time_machine.shift(timedelta(minutes=1))
    record_event(action="cabinet.corrections.approved", actor=operator, subject=patient.user)
    time_machine.shift(timedelta(minutes=1))
    record_event(action="cabinet.change_code_rejected", actor=patient.user, success=False)
    time_machine.shift(timedelta(minutes=1))
    record_event(action="cabinet.login", actor=other_patient.user)
    record_event(action="cabinet.system_thing", subject=patient.user)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert response.context["section"] == "activity"
    listed = [(row.label, row.who, row.result) for row in rows(response)]
    assert listed[:4] == [
        ("Действие в кабинете", "Система", "успешно"),
        ("Код подтверждения не принят", "Вы", "отказ"),
        ("Действие в кабинете", "Сотрудник оператора кабинета", "успешно"),
        ("Изменён мобильный телефон", "Вы", "успешно"),
    ]
    assert listed[4][0] == "Вход в кабинет"
    # The fixture's first login is the oldest; the other patient's login is not here.
    assert listed[-1][0] == "Первый вход в кабинет"
    assert len(listed) == 6
    body = response.content.decode()
    # 09:01 UTC is 12:01 in Moscow.
    assert "01.03.2030 12:01:00" in body
    assert "Изменён мобильный телефон" in body


def test_the_journal_pages_by_twenty(patient_client, patient):
    for n in range(24):
        record_event(action="cabinet.login", actor=patient.user, n=n)
    first = patient_client.get(PAGE)
    assert len(rows(first)) == 20
    assert "Страница 1 из 2" in first.content.decode()
    second = patient_client.get(PAGE, {"page": 2})
    assert len(rows(second)) == 5  # 24 logins and the first login
    assert rows(second)[-1].label == "Первый вход в кабинет"
    # A page out of range or not a number gives a page, never an error.
    assert patient_client.get(PAGE, {"page": "999"}).status_code == 200
    assert patient_client.get(PAGE, {"page": "x'--"}).status_code == 200


def test_the_journal_is_never_n_plus_one(patient_client, patient, django_assert_max_num_queries):
    for _ in range(3):
        record_event(action="cabinet.login", actor=patient.user)
    # Session, user, patient, count, one page of events; the rest is the session's upkeep.
    with django_assert_max_num_queries(16) as few:
        patient_client.get(PAGE)
    for _ in range(40):
        record_event(action="cabinet.login", actor=patient.user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        patient_client.get(PAGE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        patient_client.get(reverse("patients:personal_data"))


def test_actions_of_a_change_appear_in_the_journal(patient_client, patient):
    from .conftest import code_sent_to

    patient_client.post(reverse("patients:edit_email"), {"email": "new@example.com"})
    patient_client.post(
        reverse("patients:confirm_email"), {"code": code_sent_to("new@example.com")}
    )
    labels = [row.label for row in rows(patient_client.get(PAGE))]
    assert labels[:2] == [
        "Изменена электронная почта",
        "Запрошен код для смены электронной почты",
    ]


def test_other_apps_register_their_labels():
    assert str(activity_label("cabinet.nobody_named_this")) == "Действие в кабинете"
    saved = dict(ACTIVITY_LABELS)
    try:
        register_activity_labels({"cabinet.test_thing": "Проверочное действие"})
        assert activity_label("cabinet.test_thing") == "Проверочное действие"
    finally:
        ACTIVITY_LABELS.clear()
        ACTIVITY_LABELS.update(saved)


def test_the_required_labels_exist():
    for action in (
        "cabinet.login",
        "cabinet.patient_created",
        "cabinet.logout",
        "cabinet.notification_preferences_changed",
        "cabinet.phone_changed",
        "cabinet.email_changed",
        "cabinet.address_changed",
        "cabinet.change_code_rejected",
    ):
        assert action in ACTIVITY_LABELS
