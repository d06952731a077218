"""The operators' console at /support/: reached only through the IdP's two-step login;
identity confirmation with the method recorded; accounts created for people who came in
person; nothing a console user could change silently."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from egisz.idp.accounts.models import Account, IdentityConfirmation, Level, RegistryCheck
from egisz.idp.accounts.services import AccountError
from egisz.idp.support import services

pytestmark = pytest.mark.django_db

ADD_URL = "/support/accounts/account/add/"


@pytest.fixture
def operator(make_account):
    account = make_account(
        last_name="Соколова",
        first_name="Елена",
        phone="+79161110009",
        is_staff=True,
        level=Level.CONFIRMED,
    )
    account.groups.add(Group.objects.get(name=services.SUPPORT_GROUP))
    return account


@pytest.fixture
def citizen(make_account):
    return make_account(
        snils="11223344595",
        passport="4509123456",
        email="ivanova@example.ru",
        email_confirmed=True,
        level=Level.STANDARD,
    )


@pytest.fixture
def console(client, operator):
    client.force_login(operator)
    return client


def confirm_url(account) -> str:
    return f"/support/accounts/account/{account.pk}/confirm-identity/"


def sms_to(phone: str) -> list[str]:
    return list(
        Message.objects.filter(channel="sms", recipient=phone)
        .order_by("id")
        .values_list("body", flat=True)
    )


def text(response) -> str:
    return response.content.decode()


# --- The support group (data migration) --------------------------------------------------


def test_support_group_exists_with_its_permissions():
    group = Group.objects.get(name=services.SUPPORT_GROUP)
    granted = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }
    assert granted == {
        "accounts.view_account",
        "accounts.change_account",
        "accounts.add_account",
        "accounts.confirm_identity",
        "accounts.view_identityconfirmation",
        "accounts.view_registrycheck",
        "audit.view_auditevent",
        # Partner clients (OpenID Connect), not their tokens.
        "oauth2_provider.view_application",
        "oauth2_provider.add_application",
        "oauth2_provider.change_application",
        "oidc.view_clientprofile",
        "oidc.add_clientprofile",
        "oidc.change_clientprofile",
        "oidc.view_consent",
    }
    # Nothing destructive.
    assert not any(codename.startswith("delete_") for codename in granted)


# --- Getting in ---------------------------------------------------------------------------


def test_admin_login_is_the_idp_login(client):
    response = client.get("/support/login/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fsupport%2F"
    response = client.get("/support/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/?next=%2Fsupport%2F"
    # No password form of the admin's own is ever served.
    assert client.post("/support/login/", {"username": "x", "password": "y"}).status_code == 302


def test_admin_login_keeps_only_console_targets(client):
    response = client.get("/support/login/?next=/support/accounts/account/")
    assert response["Location"] == "/login/?next=%2Fsupport%2Faccounts%2Faccount%2F"
    response = client.get("/support/login/?next=https://evil.example/")
    assert response["Location"] == "/login/?next=%2Fsupport%2F"


def test_operator_reaches_the_console_after_password_and_code(client, operator, password):
    response = client.post(
        "/login/", {"identifier": operator.phone, "password": password, "next": "/support/"}
    )
    assert response["Location"] == "/login/code/"
    code = re.search(r"\b(\d{6})\b", sms_to(operator.phone)[-1]).group(1)
    response = client.post("/login/code/", {"code": code})
    assert response["Location"] == "/support/"
    assert client.get("/support/").status_code == 200


def test_a_citizen_is_refused_not_bounced(client, citizen):
    client.force_login(citizen)
    assert client.get("/support/").status_code in (302, 403)
    response = client.get("/support/", follow=True)
    assert response.status_code == 403


# --- Looking at accounts -------------------------------------------------------------------


def test_account_page_shows_no_password_hash_and_no_editable_security_field(console, citizen):
    response = console.get(f"/support/accounts/account/{citizen.pk}/change/")
    assert response.status_code == 200
    page = text(response)
    assert "argon2" not in page and citizen.password not in page
    for field in ("level", "is_staff", "is_superuser", "must_change_password", "password"):
        assert f'name="{field}"' not in page
    assert "112-233-445 95" in page
    assert "Подтвердить личность" in page


def test_posting_to_the_change_page_changes_nothing(console, citizen):
    console.post(
        f"/support/accounts/account/{citizen.pk}/change/",
        {"level": "confirmed", "is_staff": "on", "last_name": "Взломов"},
    )
    citizen.refresh_from_db()
    assert (citizen.level, citizen.is_staff, citizen.last_name) == (
        Level.STANDARD,
        False,
        "Иванова",
    )


def test_accounts_cannot_be_deleted(console, citizen):
    response = console.post(f"/support/accounts/account/{citizen.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Account.objects.filter(pk=citizen.pk).exists()


@pytest.mark.parametrize("typed", ["8 916 123-45-{n}", "+7 (916) 123-45-{n}", "112-233-445 95"])
def test_search_finds_phone_and_snils_however_typed(console, citizen, typed):
    response = console.get("/support/accounts/account/", {"q": typed.format(n=citizen.phone[-2:])})
    assert response.status_code == 200
    assert citizen.phone_display in text(response)


# --- Confirming identity -------------------------------------------------------------------


def test_operator_confirms_identity_by_video(console, citizen, operator):
    page = console.get(confirm_url(citizen))
    assert page.status_code == 200
    assert "видеоверификация" in text(page) and "4509 123456" in text(page)
    response = console.post(
        confirm_url(citizen),
        {"method": "video", "note": "Паспорт показан, данные совпали", "documents_checked": "on"},
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.level == Level.CONFIRMED
    confirmation = IdentityConfirmation.objects.get(account=citizen)
    assert confirmation.method == IdentityConfirmation.Method.VIDEO
    assert confirmation.operator == operator
    assert confirmation.note == "Паспорт показан, данные совпали"
    event = AuditEvent.objects.get(action="account.identity_confirmed")
    assert event.actor_id == str(operator.pk) and event.subject_id == str(citizen.pk)
    assert event.details["method"] == "video"
    sms = sms_to(citizen.phone)[-1]
    assert "личность подтверждена" in sms and "видеоверификация" in sms
    assert Message.objects.filter(channel="email", recipient="ivanova@example.ru").exists()
    # The citizen sees it on the account page.
    console.force_login(citizen)
    assert "подтверждённая" in text(console.get("/"))


def test_confirmation_needs_the_method_and_the_passport_check(console, citizen):
    response = console.post(confirm_url(citizen), {"note": "x"})
    assert response.status_code == 400
    page = text(response)
    assert "Выберите способ подтверждения" in page and "паспорт проверен" in page
    citizen.refresh_from_db()
    assert citizen.level == Level.STANDARD
    assert not IdentityConfirmation.objects.exists()


def test_operator_cannot_confirm_themselves(console, operator):
    response = console.post(
        confirm_url(operator), {"method": "in_person", "documents_checked": "on"}
    )
    assert response.status_code == 400
    assert "собственную личность" in text(response)
    assert not IdentityConfirmation.objects.exists()


def test_staff_without_the_permission_cannot_confirm(client, make_account, citizen):
    stranger = make_account(is_staff=True, phone="+79161110008")
    client.force_login(stranger)
    response = client.post(confirm_url(citizen), {"method": "in_person", "documents_checked": "on"})
    assert response.status_code == 403
    with pytest.raises(AccountError):
        services.confirm_identity(
            account=citizen, operator=stranger, method="in_person", note="", meta=None
        )
    citizen.refresh_from_db()
    assert citizen.level == Level.STANDARD


# --- Creating an account for someone who came in person ---------------------------------------


OPERATOR_FORM = {
    "last_name": "Попов",
    "first_name": "Сергей",
    "middle_name": "Иванович",
    "birth_date": "09.07.1975",
    "snils": "123-456-004 22",
    "passport": "4513 444444",
    "inn": "",
    "phone": "8 916 111-00-04",
    "email": "",
}


def test_operator_creates_an_account_with_a_temporary_password_by_sms(console, operator, client):
    page = console.get(ADD_URL)
    assert page.status_code == 200 and 'name="password' not in text(page)
    response = console.post(ADD_URL, OPERATOR_FORM, follow=True)
    assert response.status_code == 200
    account = Account.objects.get(phone="+79161110004")
    assert account.must_change_password is True
    assert account.level == Level.SIMPLIFIED
    assert account.snils == "12345600422" and account.passport == "4513444444"
    [sms] = sms_to(account.phone)
    temporary = re.search(r"временный пароль: (\S+) \.", sms).group(1)
    assert account.check_password(temporary)
    # The operator never sees the password.
    assert temporary not in text(response)
    assert RegistryCheck.objects.filter(account=account, status="pending").exists()
    event = AuditEvent.objects.get(action="account.created_by_operator")
    assert event.actor_id == str(operator.pk) and event.subject_id == str(account.pk)

    # At the first login the citizen has to replace it before anything else.
    console.logout()
    response = client.post("/login/", {"identifier": "8 916 111-00-04", "password": temporary})
    code = re.search(r"\b(\d{6})\b", sms_to(account.phone)[-1]).group(1)
    response = client.post("/login/code/", {"code": code})
    assert response["Location"] == "/login/new-password/"
    assert client.get("/")["Location"] == "/login/new-password/"


def test_temporary_passwords_meet_the_policy_and_differ():
    from django.contrib.auth.password_validation import validate_password

    passwords = {services.generate_temporary_password() for _ in range(20)}
    assert len(passwords) == 20
    for candidate in passwords:
        validate_password(candidate)
        assert len(candidate) == services.TEMPORARY_PASSWORD_LENGTH


def test_operator_form_refuses_taken_and_wrong_identifiers(console, citizen):
    form = {**OPERATOR_FORM, "phone": citizen.phone, "snils": "112-233-445 95"}
    response = console.post(ADD_URL, form)
    assert response.status_code == 400
    page = text(response)
    assert "С этим номером уже есть учётная запись" in page
    assert "С этим СНИЛС уже есть учётная запись" in page
    response = console.post(ADD_URL, {**OPERATOR_FORM, "snils": "123-456-004 23"})
    assert "контрольное число" in text(response)
    assert Account.objects.count() == 2  # operator and citizen only


def test_lifting_a_login_lock(console, citizen, operator, password):
    """Locks are kept per identifier: the operator sees the latest and lifts them all."""
    visitor = Client()
    for identifier in [citizen.phone] * 5 + ["ivanova@example.ru"] * 5:
        visitor.post("/login/", {"identifier": identifier, "password": "Wrong#Password1"})
    page = text(console.get(f"/support/accounts/account/{citizen.pk}/change/"))
    assert "Вход заблокирован до" in page
    response = console.post(
        "/support/accounts/account/",
        {"action": "unlock_selected", "_selected_action": [citizen.pk]},
    )
    assert response.status_code == 302
    assert "Снята блокировка: 1." in text(console.get("/support/accounts/account/"))
    assert "сняла блокировку" in sms_to(citizen.phone)[-1]
    for identifier in (citizen.phone, "ivanova@example.ru"):
        response = visitor.post("/login/", {"identifier": identifier, "password": password})
        assert response.status_code == 302, identifier
    assert AuditEvent.objects.filter(action="account.unlocked", actor_id=str(operator.pk))


def test_admin_password_change_is_the_idp_one(console):
    response = console.get("/support/password_change/")
    assert response.status_code == 302 and response["Location"] == "/settings/password/"


def test_only_a_superuser_appoints_operators_and_it_is_journalled(client, make_account, citizen):
    admin = make_account(phone="+79161110007", is_staff=True, is_superuser=True)
    client.force_login(admin)
    support = Group.objects.get(name=services.SUPPORT_GROUP)
    response = client.post(
        f"/support/accounts/account/{citizen.pk}/change/",
        {
            "is_active": "on",
            "is_staff": "on",
            "groups": [support.pk],
            "level": "confirmed",
            "confirmations-TOTAL_FORMS": "0",
            "confirmations-INITIAL_FORMS": "0",
            "registry_checks-TOTAL_FORMS": "0",
            "registry_checks-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.is_staff and citizen.groups.filter(name=services.SUPPORT_GROUP).exists()
    assert citizen.level == Level.STANDARD  # still not editable
    event = AuditEvent.objects.get(action="account.roles_changed")
    assert event.actor_id == str(admin.pk)
    assert set(event.details["fields"]) == {"is_staff", "groups"}
