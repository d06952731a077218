"""The operator console (/operator/) decides correction requests: approve applies the new
values, reject needs a reason; the patient is notified either way; patients never get in."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from egisz.cabinet.notifications.models import Notification
from egisz.cabinet.profile import services
from egisz.cabinet.profile.models import CorrectionRequest
from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from tests.cabinet.documents.files import pdf_bytes, upload

CHANGELIST = reverse("admin:cabinet_profile_correctionrequest_changelist")


def admin_url(name, correction):
    return reverse(f"admin:cabinet_profile_correctionrequest_{name}", args=[correction.pk])


def file(patient, meta, **changes):
    return services.file_correction(
        patient=patient,
        changes=changes or {"last_name": "Смирнова"},
        comment="Сменила фамилию после брака",
        upload=upload("свидетельство.pdf", pdf_bytes(1)),
        meta=meta,
    )


@pytest.fixture
def correction(patient, meta):
    return file(patient, meta)


def test_the_list_opens_on_pending_requests(operator_client, correction, other_patient, meta):
    decided = file(other_patient, meta, first_name="Семён")
    CorrectionRequest.objects.filter(pk=decided.pk).update(status="rejected", reason="нет")
    html = operator_client.get(CHANGELIST).content.decode()
    assert admin_url("change", correction) in html
    assert admin_url("change", decided) not in html
    html = operator_client.get(CHANGELIST + "?status=all").content.decode()
    assert admin_url("change", decided) in html


def test_the_request_page_shows_the_changes_the_document_and_the_decisions(
    operator_client, correction
):
    html = operator_client.get(admin_url("change", correction)).content.decode()
    assert "Иванова" in html and "Смирнова" in html
    assert admin_url("document", correction) in html
    assert admin_url("approve", correction) in html
    assert admin_url("reject", correction) in html
    assert "Скачать" in html


def test_staff_download_the_document_and_it_is_journalled(
    operator_client, operator, correction, patient
):
    response = operator_client.get(admin_url("document", correction))
    assert response.status_code == 200
    assert response.content == pdf_bytes(1)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(action="cabinet.document_viewed_by_staff")
    assert event.actor_id == str(operator.pk)
    assert event.subject_id == str(patient.user.pk)


def test_approve_applies_the_new_values_and_notifies(
    operator_client, operator, correction, patient
):
    page = operator_client.get(admin_url("approve", correction))
    assert page.status_code == 200
    response = operator_client.post(admin_url("approve", correction))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.last_name == "Смирнова"
    correction.refresh_from_db()
    assert correction.status == "approved"
    assert correction.decided_by == operator and correction.decided_at is not None
    notice = Notification.objects.get(patient=patient, event="corrections")
    assert notice.title == "Исправление данных принято"
    assert "Смирнова" in notice.body
    assert Message.objects.filter(recipient=patient.email).exists()
    event = AuditEvent.objects.get(action="cabinet.correction_approved")
    assert event.actor_id == str(operator.pk)
    assert event.subject_id == str(patient.user.pk)


def test_approve_a_birth_date_and_a_full_name(operator_client, patient, meta):
    correction = file(
        patient,
        meta,
        last_name="Смирнова",
        middle_name="",
        birth_date="1985-05-12",
    )
    operator_client.post(admin_url("approve", correction))
    patient.refresh_from_db()
    assert patient.birth_date == date(1985, 5, 12)
    assert (patient.last_name, patient.first_name, patient.middle_name) == (
        "Смирнова",
        "Мария",
        "",
    )


def test_reject_needs_a_reason(operator_client, correction, patient):
    response = operator_client.post(admin_url("reject", correction), {"reason": "  "})
    assert response.status_code == 400
    assert "Укажите причину отказа" in response.content.decode()
    correction.refresh_from_db()
    assert correction.status == "pending"
    assert not Notification.objects.filter(event="corrections").exists()


def test_reject_keeps_the_data_and_tells_the_patient_why(
    operator_client, operator, correction, patient, login_as
):
    reason = "На скане не читается номер свидетельства"
    response = operator_client.post(admin_url("reject", correction), {"reason": reason})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.last_name == "Иванова"
    correction.refresh_from_db()
    assert (correction.status, correction.reason) == ("rejected", reason)
    assert correction.decided_by == operator
    notice = Notification.objects.get(patient=patient, event="corrections")
    assert notice.title == "Исправление данных отклонено" and reason in notice.body
    event = AuditEvent.objects.get(action="cabinet.correction_rejected")
    assert (event.actor_id, event.subject_id) == (str(operator.pk), str(patient.user.pk))
    # The patient sees the status and the reason, and may file again.
    html = login_as(patient).get("/profile/corrections/").content.decode()
    assert "отклонено" in html and reason in html
    assert 'name="document"' in html


def test_a_decided_request_cannot_be_decided_again(operator_client, correction, patient):
    operator_client.post(admin_url("reject", correction), {"reason": "нечитаемо"})
    operator_client.post(admin_url("approve", correction))
    patient.refresh_from_db()
    assert patient.last_name == "Иванова"
    correction.refresh_from_db()
    assert correction.status == "rejected"
    assert Notification.objects.filter(event="corrections").count() == 1
    html = operator_client.get(admin_url("change", correction)).content.decode()
    assert admin_url("approve", correction) not in html


def test_operators_cannot_add_or_delete_requests(operator_client, correction):
    add = reverse("admin:cabinet_profile_correctionrequest_add")
    assert operator_client.get(add).status_code == 403
    delete = admin_url("delete", correction)
    assert operator_client.post(delete, {"post": "yes"}).status_code == 403
    assert CorrectionRequest.objects.filter(pk=correction.pk).exists()


def test_staff_without_the_permission_cannot_decide(client, correction, patient, db):
    clerk = get_user_model().objects.create_user(username="clerk", is_staff=True)
    client.force_login(clerk)
    assert client.post(admin_url("approve", correction)).status_code == 403
    assert client.get(admin_url("document", correction)).status_code == 403
    patient.refresh_from_db()
    assert patient.last_name == "Иванова"


def test_a_patient_cannot_reach_the_operator_console(patient_client, correction, patient):
    response = patient_client.get("/operator/")
    assert response.status_code == 302
    assert response["Location"].startswith("/operator/login/")
    for name in ("change", "approve", "reject", "document"):
        response = patient_client.get(admin_url(name, correction))
        assert response.status_code == 302
        assert response["Location"].startswith("/operator/login/")
    patient_client.post(admin_url("approve", correction))
    patient_client.post(admin_url("reject", correction), {"reason": "сам себе"})
    correction.refresh_from_db()
    patient.refresh_from_db()
    assert correction.status == "pending" and patient.last_name == "Иванова"


def test_the_change_form_saves_nothing(operator_client, correction, monkeypatch):
    saves = []
    monkeypatch.setattr(CorrectionRequest, "save", lambda self, *a, **kw: saves.append(kw))
    response = operator_client.post(admin_url("change", correction), {"status": "approved"})
    assert response.status_code == 302
    assert saves == []
    correction.refresh_from_db()
    assert correction.status == "pending"
