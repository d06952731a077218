"""Attachment by the patient: needs a policy, one pending request at a time, withdraw; only
ever the patient's own requests."""

import pytest
from django.db import IntegrityError, transaction

from egisz.cabinet.organizations.models import Attachment
from egisz.cabinet.organizations.services import AttachmentRefused, request_attachment
from egisz.common.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def attach_url(organization) -> str:
    return f"/organizations/{organization.pk}/attach/"


def test_detail_page_offers_attachment_to_a_patient_with_a_policy(
    patient_client, patient, organization, make_policy
):
    html = patient_client.get(f"/organizations/{organization.pk}/").content.decode()
    assert "сначала укажите номер полиса ОМС" in html
    assert attach_url(organization) not in html
    make_policy(patient)
    html = patient_client.get(f"/organizations/{organization.pk}/").content.decode()
    assert attach_url(organization) in html
    assert "Прикрепиться" in html


def test_attachment_needs_a_policy(patient_client, patient, organization):
    confirm = patient_client.get(attach_url(organization))
    assert confirm.status_code == 200
    assert "Сначала укажите полис ОМС" in confirm.content.decode()
    assert "/policy/" in confirm.content.decode()
    response = patient_client.post(attach_url(organization), follow=True)
    assert "Сначала укажите полис ОМС" in response.content.decode()
    assert not Attachment.objects.exists()


def test_confirm_then_request(patient_client, patient, organization, make_policy):
    make_policy(patient)
    confirm = patient_client.get(attach_url(organization))
    assert "Подтвердить" in confirm.content.decode()
    assert not Attachment.objects.exists()  # GET only asks

    response = patient_client.post(attach_url(organization))
    assert response.status_code == 302
    assert response["Location"] == "/policy/"
    attachment = Attachment.objects.get()
    assert (attachment.patient, attachment.organization) == (patient, organization)
    assert attachment.status == Attachment.Status.PENDING
    event = AuditEvent.objects.get(action="cabinet.attachment_requested")
    assert event.actor_id == str(patient.user.pk)
    assert event.details["organization"] == organization.oid
    page = patient_client.get("/policy/").content.decode()
    assert "на рассмотрении" in page
    assert "Отозвать заявление" in page


def test_one_pending_request_at_a_time(patient_client, patient, make_organization, make_policy):
    make_policy(patient)
    first, second = make_organization(), make_organization()
    patient_client.post(attach_url(first))
    response = patient_client.post(attach_url(second), follow=True)
    assert "У вас уже есть заявление на рассмотрении" in response.content.decode()
    assert Attachment.objects.filter(patient=patient).count() == 1
    confirm = patient_client.get(attach_url(second)).content.decode()
    assert "Отзовите его" in confirm


def test_the_database_refuses_a_second_pending_request(patient, make_organization):
    first, second = make_organization(), make_organization()
    Attachment.objects.create(patient=patient, organization=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attachment.objects.create(patient=patient, organization=second)


def test_the_database_refuses_two_accepted_attachments(patient, make_organization):
    first, second = make_organization(), make_organization()
    Attachment.objects.create(patient=patient, organization=first, status="accepted")
    with pytest.raises(IntegrityError), transaction.atomic():
        Attachment.objects.create(patient=patient, organization=second, status="accepted")


def test_an_inactive_organisation_takes_no_requests(patient, make_organization, make_policy, meta):
    make_policy(patient)
    closed = make_organization(is_active="нет")
    with pytest.raises(AttachmentRefused):
        request_attachment(patient=patient, organization=closed, meta=meta)


def test_inactive_organisation_attach_page_is_404(patient_client, make_organization):
    closed = make_organization(is_active="нет")
    assert patient_client.get(attach_url(closed)).status_code == 404
    assert patient_client.post(attach_url(closed)).status_code == 404


def test_no_request_to_the_organisation_one_is_attached_to(
    patient, organization, make_policy, meta
):
    make_policy(patient)
    Attachment.objects.create(patient=patient, organization=organization, status="accepted")
    with pytest.raises(AttachmentRefused, match="уже прикреплены"):
        request_attachment(patient=patient, organization=organization, meta=meta)


def test_withdraw_a_pending_request(patient_client, patient, organization, make_policy):
    make_policy(patient)
    patient_client.post(attach_url(organization))
    attachment = Attachment.objects.get()
    response = patient_client.post(f"/policy/attachments/{attachment.pk}/withdraw/", follow=True)
    assert "отозвано" in response.content.decode()
    attachment.refresh_from_db()
    assert attachment.status == Attachment.Status.WITHDRAWN
    assert attachment.decided_at is not None
    assert AuditEvent.objects.filter(action="cabinet.attachment_withdrawn").count() == 1
    # Withdrawn, a new request may follow.
    assert patient_client.post(attach_url(organization)).status_code == 302
    assert Attachment.objects.filter(status="pending").count() == 1


def test_a_decided_request_cannot_be_withdrawn(patient_client, patient, organization):
    attachment = Attachment.objects.create(
        patient=patient, organization=organization, status="accepted"
    )
    response = patient_client.post(f"/policy/attachments/{attachment.pk}/withdraw/", follow=True)
    assert "отозвать его нельзя" in response.content.decode()
    attachment.refresh_from_db()
    assert attachment.status == "accepted"


def test_withdraw_needs_post(patient_client, patient, organization):
    attachment = Attachment.objects.create(patient=patient, organization=organization)
    response = patient_client.get(f"/policy/attachments/{attachment.pk}/withdraw/")
    assert response.status_code == 405
    attachment.refresh_from_db()
    assert attachment.is_pending


def test_another_patient_can_neither_withdraw_nor_see_a_request(
    client, patient, other_patient, organization, login_as
):
    attachment = Attachment.objects.create(patient=patient, organization=organization)
    login_as(other_patient)
    response = client.post(f"/policy/attachments/{attachment.pk}/withdraw/")
    assert response.status_code == 404
    attachment.refresh_from_db()
    assert attachment.is_pending
    page = client.get("/policy/")
    assert page.context["status"].history == []
    assert organization.short_name not in page.content.decode()
    detail = client.get(f"/organizations/{organization.pk}/").content.decode()
    assert "на рассмотрении" not in detail
    assert AuditEvent.objects.filter(action="cabinet.attachment_withdrawn").count() == 0


def test_anonymous_cannot_attach_or_withdraw(client, patient, organization):
    attachment = Attachment.objects.create(patient=patient, organization=organization)
    assert client.post(attach_url(organization))["Location"].startswith("/sso/login/")
    assert client.post(f"/policy/attachments/{attachment.pk}/withdraw/").status_code == 302
    attachment.refresh_from_db()
    assert attachment.is_pending
    assert Attachment.objects.count() == 1


def test_unknown_ids_are_404(patient_client):
    assert patient_client.get("/organizations/424242/attach/").status_code == 404
    assert patient_client.post("/policy/attachments/424242/withdraw/").status_code == 404
