"""The operator decides in /operator/: accept (the previous attachment ends) or reject with a
reason; the patient is notified and every step is journalled."""

import pytest
from django.contrib.auth import get_user_model

from egisz.cabinet.notifications.models import Notification
from egisz.cabinet.organizations.models import Attachment
from egisz.cabinet.organizations.selectors import attachment_status
from egisz.cabinet.organizations.services import (
    AttachmentRefused,
    accept_attachment,
    request_attachment,
)
from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message

pytestmark = pytest.mark.django_db
LIST = "/operator/cabinet_organizations/attachment/"


def decide_url(attachment) -> str:
    return f"{LIST}{attachment.pk}/decide/"


@pytest.fixture
def pending(patient, organization, make_policy, meta):
    make_policy(patient)
    Notification.objects.all().delete()
    Message.objects.all().delete()
    return request_attachment(patient=patient, organization=organization, meta=meta)


def test_the_list_opens_on_pending_requests(operator_client, pending, patient, make_organization):
    Attachment.objects.create(patient=patient, organization=make_organization(), status="rejected")
    response = operator_client.get(LIST)
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [pending]
    assert decide_url(pending) in response.content.decode()
    everything = operator_client.get(LIST, {"status": "all"})
    assert everything.context["cl"].queryset.count() == 2
    # The change page links to the decision.
    assert (
        decide_url(pending) in operator_client.get(f"{LIST}{pending.pk}/change/").content.decode()
    )


def test_decision_page_shows_the_request(operator_client, pending, patient):
    response = operator_client.get(decide_url(pending))
    assert response.status_code == 200
    html = response.content.decode()
    assert patient.full_name in html
    assert pending.organization.oid in html
    assert patient.policy.enp_display in html


def test_accept_notifies_audits_and_ends_the_previous_attachment(
    operator_client, operator, pending, patient, make_organization
):
    old = Attachment.objects.create(
        patient=patient, organization=make_organization(), status="accepted"
    )
    response = operator_client.post(decide_url(pending), {"decision": "accept"})
    assert response.status_code == 302
    pending.refresh_from_db()
    old.refresh_from_db()
    assert pending.status == "accepted"
    assert pending.decided_by == operator
    assert pending.decided_at is not None
    assert old.status == "ended"
    assert old.ended_at is not None
    assert pending.organization.short_name in old.reason

    notice = Notification.objects.get(patient=patient, event="attachment")
    assert "Прикрепление принято" in notice.title
    assert notice.link == "/policy/"
    assert Message.objects.filter(recipient=patient.phone).exists()

    for action in ("cabinet.attachment_accepted", "cabinet.attachment_ended"):
        event = AuditEvent.objects.get(action=action)
        assert event.actor_id == str(operator.pk)
        assert event.subject_id == str(patient.user.pk)


def test_reject_needs_a_reason(operator_client, pending):
    response = operator_client.post(decide_url(pending), {"decision": "reject", "reason": "  "})
    assert response.status_code == 400
    assert "Укажите причину отказа" in response.content.decode()
    pending.refresh_from_db()
    assert pending.is_pending
    assert not Notification.objects.exists()


def test_reject_with_a_reason_notifies_and_audits(operator_client, operator, pending, patient):
    reason = "Адрес регистрации вне зоны обслуживания поликлиники"
    response = operator_client.post(decide_url(pending), {"decision": "reject", "reason": reason})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.reason, pending.decided_by) == ("rejected", reason, operator)
    notice = Notification.objects.get(patient=patient, event="attachment")
    assert "отклонено" in notice.title
    assert reason in notice.body
    event = AuditEvent.objects.get(action="cabinet.attachment_rejected")
    assert (event.actor_id, event.subject_id) == (str(operator.pk), str(patient.user.pk))
    assert event.details["reason"] == reason
    # The patient sees the refusal and why.
    assert attachment_status(patient).last_rejected == pending


def test_a_decided_request_is_not_decided_again(operator_client, pending, operator, meta):
    accept_attachment(attachment_id=pending.pk, operator=operator, meta=meta)
    response = operator_client.post(decide_url(pending), {"decision": "reject", "reason": "x"})
    assert response.status_code == 400
    assert "уже не на рассмотрении" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "accepted"
    with pytest.raises(AttachmentRefused):
        accept_attachment(attachment_id=pending.pk, operator=operator, meta=meta)


def test_a_withdrawn_request_cannot_be_accepted(operator, pending, patient, meta):
    pending.status = "withdrawn"
    pending.save(update_fields=["status"])
    with pytest.raises(AttachmentRefused):
        accept_attachment(attachment_id=pending.pk, operator=operator, meta=meta)


def test_a_bad_decision_value_is_a_form_error(operator_client, pending):
    response = operator_client.post(decide_url(pending), {"decision": "maybe"})
    assert response.status_code == 400
    pending.refresh_from_db()
    assert pending.is_pending


def test_no_bulk_decisions_and_no_editing(operator_client, pending):
    response = operator_client.get(LIST)
    assert response.context["action_form"] is None  # no bulk actions at all
    operator_client.post(f"{LIST}{pending.pk}/change/", {"status": "accepted"})
    pending.refresh_from_db()
    assert pending.is_pending


def test_staff_without_the_permission_cannot_decide(client, pending):
    clerk = get_user_model().objects.create_user(username="clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get(decide_url(pending)).status_code == 403
    assert client.post(decide_url(pending), {"decision": "accept"}).status_code == 403
    pending.refresh_from_db()
    assert pending.is_pending


def test_staff_with_the_permission_decides(client, pending, patient):
    from django.contrib.auth.models import Permission

    clerk = get_user_model().objects.create_user(username="clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["decide_attachment", "view_attachment"])
    )
    client.force_login(clerk)
    assert client.get(LIST).status_code == 200
    response = client.post(decide_url(pending), {"decision": "reject", "reason": "Нет мест"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("rejected", clerk)


def test_a_patient_cannot_reach_the_operator_console(patient_client, pending):
    for url in ("/operator/", LIST, decide_url(pending)):
        response = patient_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/operator/login/")
    patient_client.post(decide_url(pending), {"decision": "accept"})
    pending.refresh_from_db()
    assert pending.is_pending


def test_operator_imports_show_in_the_directory_admin(operator_client, organization):
    response = operator_client.get("/operator/cabinet_organizations/medicalorganization/")
    assert organization.short_name in response.content.decode()
    response = operator_client.get("/operator/cabinet_organizations/insurancepolicy/")
    assert response.status_code == 200
