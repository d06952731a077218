"""«Журнал активности»: the patient's own events, newest first, in Russian words."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.patients.activity import activity_label
from egisz.common.audit.models import AuditEvent
from egisz.common.audit.services import record_event

PAGE = reverse("patients:activity")


def rows(response):
    return response.context["rows"]


def test_the_journal_lists_own_events_newest_first(
    client, patient, other_patient, operator, time_machine
):
    time_machine.move_to(datetime(2030, 3, 1, 9, 0, tzinfo=UTC), tick=False)
    client.force_login(patient.user)
    record_event(action=CabinetAction.LOGIN, actor=patient.user)
    time_machine.shift(timedelta(minutes=1))
    record_event(action=CabinetAction.PHONE_CHANGED, actor=patient.user, old="x", new="y")
    time_machine.shift(timedelta(minutes=1))
    record_event(action=CabinetAction.CORRECTION_APPROVED, actor=operator, subject=patient.user)
    time_machine.shift(timedelta(minutes=1))
    record_event(action=CabinetAction.CHANGE_CODE_REJECTED, actor=patient.user, success=False)
    time_machine.shift(timedelta(minutes=1))
    record_event(action=CabinetAction.LOGIN, actor=other_patient.user)
    # A row of an older version, its action in no vocabulary.
    AuditEvent.objects.create(
        action="cabinet.system_thing", result="success", subject_id=str(patient.user_id)
    )

    response = client.get(PAGE)

    assert response.status_code == 200
    assert response.context["section"] == "activity"
    listed = [(row.label, row.who, row.result) for row in rows(response)]
    assert listed[:4] == [
        ("Действие в кабинете", "Система", "успешно"),
        ("Код подтверждения не принят", "Вы", "отказ"),
        ("Заявление на исправление данных принято", "Сотрудник оператора кабинета", "успешно"),
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
        record_event(action=CabinetAction.LOGIN, actor=patient.user, n=n)
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
        record_event(action=CabinetAction.LOGIN, actor=patient.user)
    # Session, user, patient, count, one page of events; the rest is the session's upkeep.
    with django_assert_max_num_queries(16) as few:
        patient_client.get(PAGE)
    for _ in range(40):
        record_event(action=CabinetAction.LOGIN, actor=patient.user)
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


def test_an_action_no_vocabulary_names_reads_as_an_action_in_the_cabinet():
    assert str(activity_label("cabinet.nobody_named_this")) == "Действие в кабинете"


def test_every_cabinet_action_has_its_own_words():
    for action in CabinetAction:
        assert str(activity_label(action.value)) == str(action.label)
    assert str(activity_label("cabinet.logout")) == "Выход из кабинета"
