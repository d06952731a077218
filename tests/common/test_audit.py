"""The audit journal is append-only and lands with the change it records."""

import pytest
from django.db import DatabaseError, connection, transaction

from egisz.common.audit.models import AuditEvent
from egisz.common.audit.services import record_event
from egisz.idp.audit_actions import IdpAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(meta):
    return record_event(action=IdpAction.LOGIN_FAILED, meta=meta, subject="42", success=False)


def test_an_event_records_who_what_when_where_and_the_result(event, meta):
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == IdpAction.LOGIN_FAILED
    assert stored.result == AuditEvent.Result.FAILURE
    assert stored.subject_id == "42"
    assert stored.ip == meta.ip
    assert stored.user_agent == meta.user_agent
    assert stored.created_at is not None


def test_an_event_rolls_back_with_the_change_it_records(meta):
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(action=IdpAction.PASSWORD_CHANGED, meta=meta, actor="42")
        raise RuntimeError("the change failed")

    assert not AuditEvent.objects.filter(action=IdpAction.PASSWORD_CHANGED).exists()


def test_an_event_cannot_be_changed_through_the_model(event):
    event.result = AuditEvent.Result.SUCCESS
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(result=AuditEvent.Result.SUCCESS)
    with pytest.raises(PermissionError):
        AuditEvent.objects.bulk_update([event], ["result"])

    assert AuditEvent.objects.get(pk=event.pk).result == AuditEvent.Result.FAILURE


def test_an_event_cannot_be_deleted_through_the_model(event):
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET result = 'success' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_changes(postgres_only, event, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).result == AuditEvent.Result.FAILURE
