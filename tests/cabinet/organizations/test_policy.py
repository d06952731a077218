"""The ОМС policy: ЕНП with its check digit, the insurer from the list or «Другая»."""

import pytest

from egisz.cabinet.notifications.models import Notification
from egisz.cabinet.organizations.models import InsurancePolicy
from egisz.common.audit.models import AuditEvent
from egisz.common.identifiers import format_enp

from .conftest import valid_enp

pytestmark = pytest.mark.django_db
URL = "/policy/"
CAPITAL = "ООО «Капитал МС»"


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/sso/login/")


def test_limited_mode_goes_home(client):
    session = client.session
    session["egisz_limited"] = {"reason": "refused", "level": ""}
    session.save()
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_page_offers_the_form_and_the_next_step(patient_client):
    response = patient_client.get(URL)
    assert response.status_code == 200
    assert response.context["section"] == "policy"
    html = response.content.decode()
    assert "АО «МАКС-М»" in html
    assert "Другая" in html
    assert "Чтобы прикрепиться к поликлинике, укажите полис ОМС" in html


def test_saving_a_policy_stores_it_audits_and_notifies(patient_client, patient):
    enp = valid_enp(5)
    response = patient_client.post(URL, {"enp": format_enp(enp), "insurer": CAPITAL})
    assert response.status_code == 302
    policy = InsurancePolicy.objects.get(patient=patient)
    assert (policy.enp, policy.insurer) == (enp, CAPITAL)
    event = AuditEvent.objects.get(action="cabinet.policy_saved")
    assert event.actor_id == event.subject_id == str(patient.user.pk)
    assert event.details["fields"] == ["enp", "insurer"]
    assert enp not in str(event.details)  # the journal keeps only the last digits
    assert Notification.objects.filter(patient=patient, event="profile").count() == 1
    page = patient_client.get(URL).content.decode()
    assert format_enp(enp) in page


def test_saving_the_same_policy_again_changes_nothing(patient_client, patient, make_policy):
    policy = make_policy(patient, enp=valid_enp(6), insurer=CAPITAL)
    response = patient_client.post(URL, {"enp": valid_enp(6), "insurer": CAPITAL}, follow=True)
    assert "Данные полиса ОМС не изменились." in response.content.decode()
    assert AuditEvent.objects.filter(action="cabinet.policy_saved").count() == 1
    assert InsurancePolicy.objects.get(pk=policy.pk).updated_at == policy.updated_at


def test_changing_the_insurer_updates_the_same_policy(patient_client, patient, make_policy):
    make_policy(patient, enp=valid_enp(6), insurer=CAPITAL)
    patient_client.post(URL, {"enp": valid_enp(6), "insurer": "АО «МАКС-М»"})
    assert InsurancePolicy.objects.get(patient=patient).insurer == "АО «МАКС-М»"
    assert AuditEvent.objects.filter(action="cabinet.policy_saved").first().details["fields"] == [
        "insurer"
    ]


def test_wrong_check_digit_is_explained_next_to_the_field(patient_client, patient):
    enp = valid_enp(7)
    wrong = enp[:15] + str((int(enp[15]) + 1) % 10)
    response = patient_client.post(URL, {"enp": wrong, "insurer": CAPITAL})
    assert response.status_code == 400
    html = response.content.decode()
    assert "не сходится контрольная цифра" in html
    assert 'id="id_enp_error"' in html
    assert not InsurancePolicy.objects.exists()


@pytest.mark.parametrize("enp", ["", "1234", "7700 0000 0000 001x", "1" * 41])
def test_malformed_enp_is_refused(patient_client, enp):
    response = patient_client.post(URL, {"enp": enp, "insurer": CAPITAL})
    assert response.status_code == 400
    assert response.context["form"].errors["enp"]
    assert not InsurancePolicy.objects.exists()


def test_other_insurer_needs_its_name(patient_client, patient):
    response = patient_client.post(URL, {"enp": valid_enp(8), "insurer": "other"})
    assert response.status_code == 400
    assert "Укажите название страховой организации" in response.content.decode()
    patient_client.post(
        URL, {"enp": valid_enp(8), "insurer": "other", "insurer_other": "  АО «СМК  Медика» "}
    )
    assert InsurancePolicy.objects.get(patient=patient).insurer == "АО «СМК Медика»"
    # The form shows it back as «Другая» with the name typed.
    form = patient_client.get(URL).context["form"]
    assert form.initial["insurer"] == "other"
    assert form.initial["insurer_other"] == "АО «СМК Медика»"


@pytest.mark.parametrize("insurer", ["", "ООО «Выдуманная»", "x" * 300])
def test_insurer_outside_the_list_is_refused(patient_client, insurer):
    response = patient_client.post(URL, {"enp": valid_enp(9), "insurer": insurer})
    assert response.status_code == 400
    assert not InsurancePolicy.objects.exists()


def test_a_patient_sees_and_changes_only_their_own_policy(
    patient_client, patient, other_patient, make_policy, login_as
):
    make_policy(other_patient, enp=valid_enp(10), insurer="АО «МАКС-М»")
    page = patient_client.get(URL).content.decode()
    assert format_enp(valid_enp(10)) not in page
    assert "АО «МАКС-М»," not in page
    patient_client.post(URL, {"enp": valid_enp(11), "insurer": CAPITAL})
    assert InsurancePolicy.objects.get(patient=other_patient).enp == valid_enp(10)
    assert InsurancePolicy.objects.get(patient=patient).enp == valid_enp(11)
