"""The profile the first login opens: what came from Госуслуги (read-only), what is still
missing, every error next to its field, completion marked once and notified."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.notifications.models import Notification
from egisz.cabinet.profile.selectors import profile_completeness
from egisz.common.audit.models import AuditEvent
from tests.cabinet.documents.files import jpeg_bytes, pdf_bytes, png_bytes, upload
from tests.cabinet.profile.helpers import complete_profile, give_scans, valid_inn, wrong_inn

URL = "/profile/"


def valid_post(**overrides):
    data = {
        "inn": valid_inn(),
        "workplace": "ООО «Ромашка», бухгалтер",
        "passport_scan": upload("passport.pdf", pdf_bytes(2)),
        "snils_scan": upload("snils.jpg", jpeg_bytes()),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_error(html: str, field: str) -> str:
    """The error text rendered next to ``field`` (ui/field.html), or ''."""
    match = re.search(rf'<div class="field__error" id="id_{field}_error">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else ""


def test_the_url_name_is_profile_complete():
    assert reverse("profile:complete") == URL


def test_the_page_shows_what_came_from_gosuslugi_read_only(patient_client, patient):
    html = patient_client.get(URL).content.decode()
    assert "Иванова Мария Петровна" in html
    assert "12.04.1985" in html
    assert patient.snils_display in html
    for name in ("last_name", "first_name", "middle_name", "birth_date", "snils"):
        assert f'name="{name}"' not in html
    assert reverse("profile:corrections") in html
    assert 'name="inn"' in html and 'name="workplace"' in html
    assert 'type="file" name="passport_scan"' in html
    assert "Сохранить" in html


def test_missing_contacts_say_so_and_link_to_the_change_pages(client, make_patient):
    patient = make_patient(phone_number="", email="")
    client.force_login(patient.user)
    html = client.get(URL).content.decode()
    assert html.count("не указан<") == 2
    phone = reverse("patients:edit_phone") + "?next=/profile/"
    email = reverse("patients:edit_email") + "?next=/profile/"
    assert f'href="{phone}"' in html and f'href="{email}"' in html


def test_an_empty_submission_reports_every_missing_field(patient_client, patient):
    response = patient_client.post(URL, {})
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "inn") == "Укажите ИНН."
    assert field_error(html, "workplace") == "Укажите место работы или учёбы."
    assert field_error(html, "passport_scan") == "Загрузите скан паспорта."
    assert field_error(html, "snils_scan") == "Загрузите скан СНИЛС."
    assert field_error(html, "employment_record_scan") == ""  # optional
    assert 'class="error-summary"' in html
    assert html.count('<li><a href="#id_') == 4  # one line per error, linked to the field
    patient.refresh_from_db()
    assert patient.inn == "" and patient.profile_completed_at is None


def test_every_error_is_next_to_its_field_and_valid_parts_are_kept(
    patient_client, patient, documents_dir
):
    response = patient_client.post(
        URL,
        valid_post(
            inn=wrong_inn(),
            passport_scan=upload("passport.pdf", png_bytes()),  # a PNG named .pdf
            snils_scan=upload("snils.jpg", b"plain text, not a picture"),
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "контрольные цифры" in field_error(html, "inn")
    assert field_error(html, "passport_scan").startswith("Неверный формат файла")
    assert field_error(html, "snils_scan") == "Неверный формат файла: загрузите PDF, JPG или PNG."
    assert field_error(html, "workplace") == ""
    # The valid text is re-rendered; files must be chosen again, and the page says so.
    assert 'value="ООО «Ромашка», бухгалтер"' in html
    assert "выберите файлы ещё раз" in html
    # Nothing was saved: not even the valid parts.
    patient.refresh_from_db()
    assert patient.workplace == ""
    assert not StoredDocument.objects.exists()
    assert not documents_dir.exists() or not any(documents_dir.iterdir())


@pytest.mark.parametrize(
    ("field", "content", "message"),
    [
        ("passport_scan", b"", "Файл пустой"),
        ("snils_scan", pdf_bytes(password="x"), "Файл PDF защищён паролем"),
        ("passport_scan", jpeg_bytes()[:200], "Файл повреждён"),
    ],
)
def test_file_problems_are_shown_next_to_the_file_field(patient_client, field, content, message):
    name = "scan.jpg" if content.startswith(b"\xff\xd8") else "scan.pdf"
    response = patient_client.post(URL, valid_post(**{field: upload(name, content)}))
    assert response.status_code == 400
    assert field_error(response.content.decode(), field).startswith(message)


def test_an_oversize_scan_is_refused_next_to_its_field(patient_client, settings):
    settings.DOCUMENT_MAX_BYTES = 2048
    big = jpeg_bytes((200, 200))
    assert len(big) > 2048
    response = patient_client.post(
        URL,
        valid_post(passport_scan=upload("p.jpg", big), snils_scan=upload("s.jpg", big)),
    )
    html = response.content.decode()
    assert field_error(html, "passport_scan").startswith("Файл больше")
    assert field_error(html, "snils_scan").startswith("Файл больше")


def test_a_patient_sending_file_after_file_is_told_to_wait(
    patient_client, patient, login_as, other_patient, settings, time_machine
):
    """Every scan costs the server a full decode: a patient gets DOCUMENT_UPLOAD_RATE files,
    then a message next to the field, whichever address they come from."""
    settings.DOCUMENT_UPLOAD_RATE = "4/h"
    time_machine.move_to("2026-05-04 10:00:00+00:00", tick=False)
    for n in range(2):
        response = patient_client.post(URL, valid_post(), REMOTE_ADDR=f"198.51.100.{n + 1}")
        assert response.status_code == 302
    response = patient_client.post(URL, valid_post(), REMOTE_ADDR="198.51.100.3")
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("passport_scan", "snils_scan"):
        assert field_error(html, field).startswith(
            "Слишком много загрузок файлов. Попробуйте загрузить файл ещё раз через"
        )
    assert StoredDocument.objects.filter(patient=patient).count() == 4
    # Another patient's uploads are counted apart.
    assert login_as(other_patient).post(URL, valid_post()).status_code == 302
    # An hour later the patient may upload again.
    time_machine.shift(timedelta(hours=1, seconds=1))
    assert login_as(patient).post(URL, valid_post()).status_code == 302


def test_a_complete_profile_is_marked_notified_and_goes_home(patient_client, patient):
    response = patient_client.post(URL, valid_post(), follow=True)
    assert response.redirect_chain[-1] == (reverse("portal:home"), 302)
    assert "Профиль заполнен" in response.content.decode()
    patient.refresh_from_db()
    assert patient.profile_completed_at is not None
    assert patient.inn == valid_inn()
    assert patient.workplace == "ООО «Ромашка», бухгалтер"
    current = StoredDocument.objects.filter(patient=patient, archived_at=None)
    assert sorted(current.values_list("kind", flat=True)) == ["passport", "snils"]
    notice = Notification.objects.get(patient=patient, event="profile")
    assert notice.title == "Профиль заполнен"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"cabinet.profile_saved", "cabinet.profile_completed"} <= actions
    assert profile_completeness(patient).percent == 100


def test_saving_a_complete_profile_again_does_not_notify_again(patient_client, patient, meta):
    complete_profile(patient, meta)
    patient.refresh_from_db()
    completed_at = patient.profile_completed_at
    response = patient_client.post(URL, {"inn": valid_inn(), "workplace": "Другое место"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    patient.refresh_from_db()
    assert patient.profile_completed_at == completed_at
    assert patient.workplace == "Другое место"
    assert Notification.objects.filter(event="profile").count() == 1


def test_without_a_phone_the_data_is_saved_but_the_profile_is_not_complete(client, make_patient):
    patient = make_patient(phone_number="")
    client.force_login(patient.user)
    response = client.post(URL, valid_post(), follow=True)
    assert response.redirect_chain[-1] == (URL, 302)
    html = response.content.decode()
    assert "осталось указать: мобильный телефон" in html
    patient.refresh_from_db()
    assert patient.inn == valid_inn()
    assert patient.profile_completed_at is None
    assert not Notification.objects.filter(event="profile").exists()


def test_uploaded_scans_are_listed_with_download_and_may_be_replaced(patient_client, patient, meta):
    scans = give_scans(patient, meta, kinds=("passport", "snils", "employment_record"))
    html = patient_client.get(URL).content.decode()
    for document in scans.values():
        assert reverse("documents:download", args=[document.pk]) in html
    assert html.count(">Скачать<") == 3
    # Already uploaded: no longer required; a new file replaces the current one.
    response = patient_client.post(
        URL,
        {"inn": valid_inn(), "workplace": "Завод", "passport_scan": upload("new.png", png_bytes())},
    )
    assert response.status_code == 302
    old = scans["passport"]
    old.refresh_from_db()
    assert old.archived_at is not None
    current = StoredDocument.objects.get(patient=patient, kind="passport", archived_at=None)
    assert current.original_name == "new.png"


def test_the_employment_record_is_optional_and_says_why(patient_client):
    html = patient_client.get(URL).content.decode()
    assert "трудовая книжка есть не у всех" in html
    response = patient_client.post(
        URL, valid_post(employment_record_scan=upload("trud.pdf", pdf_bytes(3)))
    )
    assert response.status_code == 302
    assert StoredDocument.objects.get(kind="employment_record").pages == 3


def test_name_and_birth_date_cannot_be_changed_through_the_profile(patient_client, patient):
    post = valid_post(last_name="Хакерова", birth_date="2000-01-01", snils="11223344595")
    patient_client.post(URL, post)
    patient.refresh_from_db()
    assert (patient.last_name, str(patient.birth_date)) == ("Иванова", "1985-04-12")


def test_another_patients_scans_are_not_shown(login_as, patient, other_patient, meta):
    scans = give_scans(patient, meta)
    html = login_as(other_patient).get(URL).content.decode()
    for document in scans.values():
        assert reverse("documents:download", args=[document.pk]) not in html
    assert "Скачать" not in html


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sso:login"))


def test_a_failed_save_leaves_no_stored_file(patient_client, patient, documents_dir, monkeypatch):
    from egisz.cabinet.profile import services

    def broken(**kwargs):
        raise RuntimeError("journal down")

    monkeypatch.setattr(services, "record_event", broken)
    with pytest.raises(RuntimeError):
        patient_client.post(URL, valid_post())
    assert not StoredDocument.objects.exists()
    assert not any(documents_dir.iterdir())


def test_every_file_field_has_the_pages_own_button_and_file_name(patient_client):
    # The browser's own control says «Choose File» in an English-language browser: it is
    # visually hidden, and a label of ours (the button) opens the file chooser.
    html = patient_client.get(URL).content.decode()
    for field in ("passport_scan", "snils_scan", "employment_record_scan"):
        native = re.search(rf'<input type="file" name="{field}"[^>]*>', html)
        assert native and 'class="visually-hidden"' in native.group(0), field
        assert re.search(
            rf'<label class="button button--secondary file-input__button" for="id_{field}"'
            rf"[^>]*>Выбрать файл</label>",
            html,
        ), field
        assert 'data-empty="Файл не выбран"' in html
    assert '<script src="/static/egisz/site.js" defer></script>' in html
