"""`egisz demo-data` on the cabinet: the directory and the operator's staff the README lists."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from egisz.cabinet.organizations.models import MedicalOrganization
from egisz.cabinet.portal.management.commands.demo_data import DEMO_STAFF
from egisz.cabinet.staff.models import StaffProfile
from egisz.common.outbox.models import Message
from tests.cabinet.staff.helpers import new_browser

pytestmark = pytest.mark.django_db


def test_the_demo_directory_and_staff_load_and_reload_without_changes(client, capsys):
    call_command("demo_data")
    organizations = MedicalOrganization.objects.count()
    assert organizations >= 50
    assert MedicalOrganization.objects.values("region").distinct().count() >= 6

    call_command("demo_data")
    assert MedicalOrganization.objects.count() == organizations
    assert "уже есть" in capsys.readouterr().out


def test_the_demo_operator_logs_in_to_the_console_and_decides_requests():
    # An address of its own: the login's throttles count per address in a shared cache.
    client = new_browser()
    call_command("demo_data")
    login, password, _, phone = DEMO_STAFF[0]
    assert phone == "+79162220001"  # +7 916 222-00-01, as the README says
    response = client.post(
        "/operator/login/?next=/operator/", {"username": login, "password": password}
    )
    assert response.status_code == 302 and response["Location"] == "/operator/login/code/"
    assert "+7 916 ***-**-01" in client.get("/operator/login/code/").content.decode()
    sms = Message.objects.filter(recipient=phone).latest("id")
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)
    response = client.post("/operator/login/code/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/operator/"
    console = client.get("/operator/").content.decode()
    # Django's admin capitalises the model names in its index.
    assert "Прикрепления" in console
    assert "Заявления на исправление данных" in console
    assert "Медицинские организации" in console


def test_demo_staff_made_before_the_sms_step_get_their_phone(capsys):
    call_command("demo_data")
    StaffProfile.objects.all().delete()
    call_command("demo_data")
    operator = get_user_model().objects.get(username=DEMO_STAFF[0][0])
    assert operator.staff_profile.phone == DEMO_STAFF[0][3]


def test_demo_data_refuses_outside_demo_mode(settings):
    from django.core.management.base import CommandError

    settings.DEMO = False
    with pytest.raises(CommandError, match="EGISZ_DEMO=1"):
        call_command("demo_data")
