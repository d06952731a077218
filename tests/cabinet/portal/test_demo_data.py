"""`egisz demo-data` on the cabinet: the directory and the operator's staff the README lists."""

import pytest
from django.core.management import call_command

from egisz.cabinet.organizations.models import MedicalOrganization
from egisz.cabinet.portal.management.commands.demo_data import DEMO_STAFF

pytestmark = pytest.mark.django_db


def test_the_demo_directory_and_staff_load_and_reload_without_changes(client, capsys):
    call_command("demo_data")
    organizations = MedicalOrganization.objects.count()
    assert organizations >= 50
    assert MedicalOrganization.objects.values("region").distinct().count() >= 6

    call_command("demo_data")
    assert MedicalOrganization.objects.count() == organizations
    assert "уже есть" in capsys.readouterr().out


def test_the_demo_operator_logs_in_to_the_console_and_decides_requests(client):
    call_command("demo_data")
    login, password, _ = DEMO_STAFF[0]
    response = client.post(
        "/operator/login/?next=/operator/", {"username": login, "password": password}
    )
    assert response.status_code == 302
    console = client.get("/operator/").content.decode()
    # Django's admin capitalises the model names in its index.
    assert "Прикрепления" in console
    assert "Заявления на исправление данных" in console
    assert "Медицинские организации" in console


def test_demo_data_refuses_outside_demo_mode(settings):
    from django.core.management.base import CommandError

    settings.DEMO = False
    with pytest.raises(CommandError, match="EGISZ_DEMO=1"):
        call_command("demo_data")
