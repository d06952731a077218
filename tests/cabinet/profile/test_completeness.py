"""How complete the profile is: the items, the percentage and the panel on «Главная»."""

from django.conf import settings
from django.urls import reverse

from egisz.cabinet.profile.panels import completeness_panel
from egisz.cabinet.profile.selectors import profile_completeness
from egisz.cabinet.profile.services import complete_profile_if_ready
from tests.cabinet.profile.helpers import complete_profile, give_scans, valid_inn


def test_a_new_patient_lacks_inn_workplace_and_scans(patient):
    completeness = profile_completeness(patient)
    missing = [item.key for item in completeness.missing]
    assert missing == ["inn", "workplace", "passport_scan", "snils_scan"]
    assert completeness.percent == 5 * 100 // 9
    assert not completeness.complete
    links = {item.key: item.link for item in completeness.items}
    assert links["inn"] == "/profile/#id_inn"
    assert links["passport_scan"] == "/profile/#id_passport_scan"


def test_every_required_item_counts(make_patient, meta):
    patient = make_patient(phone_number="", email="", middle_name="")
    give_scans(patient, meta, kinds=("passport",))
    patient.inn = valid_inn()
    patient.workplace = "Школа"
    completeness = profile_completeness(patient)
    assert [item.key for item in completeness.missing] == ["phone", "email", "snils_scan"]
    links = {item.key: item.link for item in completeness.items}
    assert links["phone"] == reverse("patients:edit_phone") + "?next=/profile/"
    assert links["email"] == reverse("patients:edit_email") + "?next=/profile/"
    assert links["snils"] == settings.IDP_ACCOUNT_URL


def test_an_archived_scan_does_not_count_an_employment_record_is_not_needed(patient, meta):
    complete_profile(patient, meta)
    assert profile_completeness(patient).complete
    patient.documents.filter(kind="snils").update(archived_at="2026-01-01T00:00:00Z")
    assert not profile_completeness(patient).complete


def test_the_panel_on_home_shows_the_progress_and_what_is_missing(patient_client, patient, rf):
    panel = completeness_panel(rf.get("/"), patient)
    assert panel.template == "profile/panel.html"
    assert panel.context["completeness"].percent == 55
    html = patient_client.get(reverse("portal:home")).content.decode()
    assert "Профиль заполнен на 55%" in html
    assert 'value="55"' in html
    assert '<a href="/profile/#id_inn">ИНН</a>' in html


def test_the_panel_of_a_complete_profile(patient_client, patient, meta):
    complete_profile(patient, meta)
    html = patient_client.get(reverse("portal:home")).content.decode()
    assert "Профиль заполнен на 100%" in html
    assert "Все обязательные сведения указаны." in html


def test_a_contact_added_elsewhere_can_complete_the_profile(make_patient, meta):
    patient = make_patient(phone_number="")
    complete_profile(patient, meta)
    assert patient.profile_completed_at is None
    assert complete_profile_if_ready(patient=patient, meta=meta) is False
    patient.phone = "+79161234567"
    patient.save(update_fields=["phone"])
    assert complete_profile_if_ready(patient=patient, meta=meta) is True
    patient.refresh_from_db()
    assert patient.profile_completed_at is not None
    assert complete_profile_if_ready(patient=patient, meta=meta) is False  # once


def test_the_activity_journal_names_these_actions():
    from egisz.cabinet.patients.activity import activity_label

    assert str(activity_label("cabinet.profile_completed")) == "Профиль заполнен"
    assert str(activity_label("cabinet.correction_filed")).startswith("Подано заявление")
    assert str(activity_label("cabinet.document_uploaded")) == "Загружен документ"
