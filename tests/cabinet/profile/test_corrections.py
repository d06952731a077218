"""A patient files a correction of name or date of birth with an official document; the
name and the date are never edited directly."""

import re

import pytest
from django.urls import reverse

from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.profile import services
from egisz.cabinet.profile.models import CorrectionRequest
from egisz.common.audit.models import AuditEvent
from tests.cabinet.documents.files import pdf_bytes, png_bytes, upload

URL = "/profile/corrections/"


def form_data(**overrides):
    data = {
        "last_name": "Смирнова",
        "first_name": "Мария",
        "middle_name": "Петровна",
        "birth_date": "1985-04-12",
        "comment": "Сменила фамилию после брака, прилагаю свидетельство о браке.",
        "document": upload("свидетельство.pdf", pdf_bytes(1)),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<div class="field__error" id="id_{field}_error">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else ""


def test_the_url_name():
    assert reverse("profile:corrections") == URL


def test_the_form_is_prefilled_with_the_current_values(patient_client):
    html = patient_client.get(URL).content.decode()
    assert 'value="Иванова"' in html and 'value="1985-04-12"' in html
    assert 'type="file" name="document"' in html
    assert "Заявлений пока нет." in html


def test_a_correction_is_filed_with_its_document_and_changes_nothing_yet(patient_client, patient):
    response = patient_client.post(URL, form_data(), follow=True)
    assert response.redirect_chain[-1] == (URL, 302)
    html = response.content.decode()
    assert "Заявление подано" in html
    assert "на рассмотрении" in html
    correction = CorrectionRequest.objects.get()
    assert correction.patient == patient
    assert correction.changes == {"last_name": "Смирнова"}
    assert correction.previous == {"last_name": "Иванова"}
    assert correction.status == "pending"
    assert correction.document.kind == StoredDocument.Kind.CORRECTION_EVIDENCE
    assert correction.document.patient == patient
    assert reverse("documents:download", args=[correction.document.pk]) in html
    patient.refresh_from_db()
    assert patient.last_name == "Иванова"
    event = AuditEvent.objects.get(action="cabinet.correction_filed")
    assert event.details["fields"] == ["last_name"]


def test_a_birth_date_correction(patient_client, patient):
    patient_client.post(URL, form_data(last_name="Иванова", birth_date="12.05.1985"))
    correction = CorrectionRequest.objects.get()
    assert correction.changes == {"birth_date": "1985-05-12"}
    assert correction.change_rows() == [("Дата рождения", "12.04.1985", "12.05.1985")]


def test_nothing_changed_is_refused(patient_client):
    response = patient_client.post(URL, form_data(last_name="Иванова"))
    assert response.status_code == 400
    assert "Измените хотя бы одно поле" in response.content.decode()
    assert not CorrectionRequest.objects.exists()
    assert not StoredDocument.objects.exists()


def test_every_error_is_next_to_its_field(patient_client, time_machine):
    time_machine.move_to("2026-06-01T12:00:00+03:00")
    response = patient_client.post(
        URL,
        form_data(
            last_name="Иван0ва",
            first_name="",
            birth_date="2026-06-02",
            comment="",
            document=upload("doc.pdf", png_bytes()),
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "last_name").startswith("Допустимы только буквы")
    assert field_error(html, "first_name") == "Укажите имя."
    assert field_error(html, "birth_date") == "Дата рождения должна быть в прошлом."
    assert field_error(html, "comment").startswith("Кратко опишите")
    assert field_error(html, "document").startswith("Неверный формат файла")
    assert "выберите файл ещё раз" in html
    assert not CorrectionRequest.objects.exists()


def test_the_document_is_required(patient_client):
    response = patient_client.post(URL, form_data(document=None))
    assert response.status_code == 400
    assert field_error(response.content.decode(), "document").startswith("Приложите документ")


def test_one_pending_request_at_a_time(patient_client, patient, meta):
    patient_client.post(URL, form_data())
    html = patient_client.get(URL).content.decode()
    assert "Ваше заявление на рассмотрении" in html
    assert 'name="document"' not in html
    response = patient_client.post(URL, form_data(first_name="Мариам"))
    assert response.status_code == 400
    assert CorrectionRequest.objects.count() == 1
    with pytest.raises(services.CorrectionError):
        services.file_correction(
            patient=patient,
            changes={"first_name": "Мариам"},
            comment="ещё",
            upload=upload("d.pdf", pdf_bytes(1)),
            meta=meta,
        )
    assert StoredDocument.objects.count() == 1  # the refused one stored nothing


def test_another_patient_sees_none_of_it(login_as, patient, other_patient, meta):
    correction = services.file_correction(
        patient=patient,
        changes={"last_name": "Смирнова"},
        comment="брак",
        upload=upload("d.pdf", pdf_bytes(1)),
        meta=meta,
    )
    client = login_as(other_patient)
    html = client.get(URL).content.decode()
    assert "Заявлений пока нет." in html
    assert "Смирнова" not in html
    download = reverse("documents:download", args=[correction.document.pk])
    assert client.get(download).status_code == 404
    # Filing their own does not touch the first patient's request.
    client.post(URL, form_data(last_name="Петрова"))
    assert CorrectionRequest.objects.filter(patient=other_patient).count() == 1
    correction.refresh_from_db()
    assert correction.changes == {"last_name": "Смирнова"}


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.post(URL, form_data())
    assert response.status_code == 302
    assert not CorrectionRequest.objects.exists()
