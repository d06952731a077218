"""The phone a member of staff gets the console login's codes on: `egisz cabinet
set-staff-phone USERNAME PHONE`, and the admin page (superusers only)."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from egisz.cabinet.portal.management.commands.demo_data import OPERATORS_GROUP
from egisz.cabinet.staff.models import StaffProfile

from .helpers import PASSWORD, events, log_in, make_staff, new_browser, unique_name

pytestmark = pytest.mark.django_db


def set_phone(*args) -> str:
    out = StringIO()
    call_command("set_staff_phone", *args, stdout=out)
    return out.getvalue()


def test_the_command_sets_the_phone_in_e164_and_journals_it(capsys):
    staff = make_staff(phone=None)
    output = set_phone(staff.username, "8 (916) 222-00-17")

    assert StaffProfile.objects.get(user=staff).phone == "+79162220017"
    assert "+7 916 222-00-17" in output
    [event] = events("cabinet.staff_phone_set")
    assert event.subject_id == str(staff.pk)
    assert event.details == {"phone": "+7 916 ***-**-17"}
    # The member of staff can now log in with both steps.
    browser = new_browser()
    assert log_in(browser, staff).status_code == 302


def test_the_command_replaces_a_phone_and_the_same_phone_again_changes_nothing():
    staff = make_staff(phone="+79162220018")
    set_phone(staff.username, "+7 916 222-00-19")
    set_phone(staff.username, "+79162220019")
    assert StaffProfile.objects.get(user=staff).phone == "+79162220019"
    assert len(events("cabinet.staff_phone_set")) == 2  # the fixture's and one change


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("12345", "Укажите номер мобильного телефона"),
        ("+1 202 555 0100", "Нужен номер российского мобильного оператора (+7)."),
        ("+7 495 123-45-67", "Это не номер мобильного телефона."),
        ("позвоните мне", "Укажите номер мобильного телефона"),
    ],
)
def test_the_command_refuses_a_bad_phone_in_russian(phone, message):
    staff = make_staff(phone=None)
    with pytest.raises(CommandError, match=re.escape(message)):
        set_phone(staff.username, phone)
    assert not StaffProfile.objects.filter(user=staff).exists()


def test_the_command_refuses_unknown_users_non_staff_and_a_taken_phone():
    with pytest.raises(CommandError, match="не найден"):
        set_phone(unique_name("nobody"), "+79162220020")

    plain = get_user_model().objects.create_user(username=unique_name("plain"), password=PASSWORD)
    with pytest.raises(CommandError, match="только сотрудникам оператора"):
        set_phone(plain.username, "+79162220020")

    make_staff(phone="+79162220021")
    other = make_staff(phone=None)
    with pytest.raises(CommandError, match="уже указан у другого сотрудника"):
        set_phone(other.username, "+7 916 222-00-21")


def test_the_cli_spelling_reaches_the_command(monkeypatch):
    from egisz import cli

    staff = make_staff(phone=None)
    seen = []
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: seen.append(argv)
    )
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "egisz.cabinet.settings")
    cli.main(["cabinet", "set-staff-phone", staff.username, "+79162220022"])
    assert seen == [["egisz cabinet", "set_staff_phone", staff.username, "+79162220022"]]


# --- the admin page ------------------------------------------------------------------------


ADD = "/operator/cabinet_staff/staffprofile/add/"


def test_a_superuser_sets_a_phone_in_the_admin_normalised_and_journalled(client):
    admin_user = make_staff(is_superuser=True)
    staff = make_staff(phone=None)
    client.force_login(admin_user)

    response = client.post(ADD, {"user": staff.pk, "phone": "8 916 222 00 23"})

    assert response.status_code == 302
    assert StaffProfile.objects.get(user=staff).phone == "+79162220023"
    event = events("cabinet.staff_phone_set")[-1]
    assert event.subject_id == str(staff.pk) and event.actor_id == str(admin_user.pk)

    profile = StaffProfile.objects.get(user=staff)
    change = f"/operator/cabinet_staff/staffprofile/{profile.pk}/change/"
    response = client.post(change, {"phone": "+7 495 123-45-67"})
    assert response.status_code == 200
    assert "Это не номер мобильного телефона" in response.content.decode()
    assert StaffProfile.objects.get(user=staff).phone == "+79162220023"

    response = client.post(change, {"phone": ""})  # taken away: the login is refused
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=staff).phone == ""


def test_the_admin_refuses_a_phone_of_another_member_of_staff(client):
    admin_user = make_staff(is_superuser=True)
    make_staff(phone="+79162220024")
    staff = make_staff(phone=None)
    client.force_login(admin_user)
    response = client.post(ADD, {"user": staff.pk, "phone": "+7 916 222-00-24"})
    assert response.status_code == 200
    assert "Этот номер уже указан у другого сотрудника." in response.content.decode()


def test_operators_cannot_change_anyones_second_factor(client):
    from django.contrib.auth.models import Group

    call_command("demo_data")
    operator = make_staff()
    operator.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    client.force_login(operator)
    assert client.get("/operator/cabinet_staff/staffprofile/").status_code == 403
    assert client.get(ADD).status_code == 403
