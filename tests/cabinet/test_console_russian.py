"""The cabinet's operator console (/operator/) speaks Russian: every page of every
registered model (lists with each filter choice, add, change, history, delete and the
console's own pages) is walked as a superuser, on the demo data plus a patient with a
policy, an address, an attachment request and a correction request, and may show no
English; account levels, statuses and permissions have Russian names; days are in the
genitive («5 декабря»)."""

import datetime
import io
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from egisz.cabinet.organizations.models import MedicalOrganization
from egisz.cabinet.organizations.services import request_attachment, save_policy
from egisz.cabinet.patients.models import Address
from egisz.cabinet.profile.services import file_correction
from egisz.common.audit.models import AuditEvent
from tests.cabinet.documents.files import pdf_bytes, upload
from tests.cabinet.organizations.conftest import valid_enp
from tests.common.admin_walk import data_words, visible_text, walk_admin

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture(autouse=True)
def documents_dir(settings, tmp_path):
    settings.DOCUMENTS_DIR = str(tmp_path / "documents")


@pytest.fixture
def demo(operator, make_patient, meta, time_machine):
    """The demo data, and a patient (who first came on 5 December) with what an operator
    decides on."""
    time_machine.move_to(datetime.datetime(2026, 12, 5, 14, 3, tzinfo=MOSCOW), tick=False)
    call_command("demo_data", stdout=io.StringIO())
    patient = make_patient()
    save_policy(patient=patient, enp=valid_enp(patient.pk), insurer="ООО «Капитал МС»", meta=meta)
    Address.objects.create(
        patient=patient,
        kind=Address.Kind.REGISTRATION,
        postcode="117042",
        region="Москва",
        city="Москва",
        street="ул. Южнобутовская",
        house="10",
    )
    organization = MedicalOrganization.objects.order_by("pk").first()
    request_attachment(patient=patient, organization=organization, meta=meta)
    file_correction(
        patient=patient,
        changes={"last_name": "Смирнова"},
        comment="Сменила фамилию после брака",
        upload=upload("свидетельство.pdf", pdf_bytes(1)),
        meta=meta,
    )
    return patient


def site_identifiers() -> set[str]:
    """Identifiers the cabinet holds and shows as they are: staff logins, the journal's
    actors, subjects and details."""
    events = AuditEvent.objects.all()
    return data_words(
        *get_user_model().objects.values_list("username", flat=True),
        *(f"{e.actor_id} {e.subject_id} {e.user_agent} {json.dumps(e.details)}" for e in events),
    )


def text_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return visible_text(response.content.decode())


def test_every_page_of_the_console_is_in_russian(operator_client, operator, demo):
    walk = walk_admin(operator_client, operator, allowed=site_identifiers())

    assert not walk.failures and not walk.strays, walk.report()
    # Every model the demo data and the fixture above fill was opened with an object (its
    # change, history and delete pages too); a model registered later is walked as far as
    # its rows go.
    assert walk.objects_opened >= {
        "auth.group",
        "auth.user",
        "audit.auditevent",
        "cabinet_patients.patient",
        "cabinet_profile.correctionrequest",
        "cabinet_organizations.medicalorganization",
        "cabinet_organizations.attachment",
        "cabinet_organizations.insurancepolicy",
        "cabinet_staff.staffprofile",
    }


def test_account_levels_show_their_russian_names(operator_client, demo):
    text = text_of(operator_client, "/operator/cabinet_patients/patient/")

    assert "подтверждённая" in text  # the column and the filter
    assert "urn:egisz:loa:confirmed" not in text
    assert "Выбор для просмотра: пациент" in text
    only_confirmed = "/operator/cabinet_patients/patient/?level=urn%3Aegisz%3Aloa%3Aconfirmed"
    assert demo.full_name in text_of(operator_client, only_confirmed)


def test_attachment_columns_are_named_in_russian(operator_client, demo):
    text = text_of(operator_client, "/operator/cabinet_organizations/attachment/?status=all")

    for header in ("Пациент", "Медицинская организация", "Статус", "Подано"):
        assert header in text
    assert "на рассмотрении" in text


def test_days_are_in_the_genitive(operator_client, demo):
    december = "/operator/cabinet_patients/patient/?created_at__month=12&created_at__year=2026"
    month = text_of(operator_client, december)

    assert "5 декабря" in month  # the drill-down by day
    assert "5 Декабрь" not in month
    assert "5 декабря 2026 г. 14:03" in month  # when the patient first came


def test_permissions_are_named_from_the_russian_model_names(operator_client, operator):
    text = text_of(operator_client, f"/operator/auth/user/{operator.pk}/change/")

    assert "Медицинские организации · прикрепление: просмотр" in text
    assert "Медицинские организации · прикрепление: Может принимать и отклонять" in text
    assert not re.search(r"\bCan (add|change|delete|view)\b", text)


def test_deleting_a_user_lists_no_link_rows(operator_client, demo):
    staff = get_user_model().objects.create_user(username="helper", password="x" * 16)
    staff.groups.add(*Group.objects.all())

    text = text_of(operator_client, f"/operator/auth/user/{staff.pk}/delete/")

    assert "Пользователь: helper" in text
    assert "object (" not in text and "Связь" not in text
