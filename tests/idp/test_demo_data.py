"""`egisz demo-data`: the README's demo accounts exist and work as described, the demo
registry lets a tester register someone new, and a second run changes nothing."""

import io
import re

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from oauth2_provider.models import get_application_model

from egisz.common.audit.models import AuditEvent
from egisz.common.identifiers import (
    normalize_mobile_phone,
    normalize_passport,
    normalize_personal_inn,
    normalize_snils,
)
from egisz.common.outbox.models import Message
from egisz.idp.accounts.management.commands.demo_data import ACCOUNTS, UNREGISTERED
from egisz.idp.accounts.models import (
    Account,
    DemoRegistryRecord,
    IdentityConfirmation,
    Level,
    RegistryCheck,
)
from egisz.idp.accounts.services import run_registry_checks
from egisz.idp.oidc.demo import CABINET_CLIENT_ID, CABINET_CLIENT_SECRET, PARTNER_CLIENT_ID
from egisz.idp.support.services import SUPPORT_GROUP

pytestmark = pytest.mark.django_db


def load() -> str:
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "accounts": sorted(Account.objects.values_list("phone", "password", "level")),
        "registry": DemoRegistryRecord.objects.count(),
        "confirmations": IdentityConfirmation.objects.count(),
        "checks": RegistryCheck.objects.count(),
        "audit": AuditEvent.objects.count(),
        "clients": sorted(
            get_application_model().objects.values_list("client_id", "client_secret")
        ),
    }


def test_second_run_changes_nothing():
    first_output = load()
    before = snapshot()
    second_output = load()
    assert snapshot() == before
    assert before["accounts"] and before["registry"] == len(ACCOUNTS) + len(UNREGISTERED)
    assert "добавлено 0" in second_output
    # The table lists every account with its password, both times.
    for spec in ACCOUNTS:
        for output in (first_output, second_output):
            assert spec.password in output
            assert re.search(re.escape(spec.phone[-2:]) + r"\s", output)


def test_accounts_are_as_the_readme_lists_them():
    load()
    levels = {spec.phone: spec.level for spec in ACCOUNTS}
    assert set(levels.values()) == {Level.SIMPLIFIED, Level.STANDARD, Level.CONFIRMED}
    for spec in ACCOUNTS:
        account = Account.objects.get(phone=spec.phone)
        assert account.level == spec.level
        assert account.check_password(spec.password), spec.role
        assert account.must_change_password is spec.temporary_password
        assert account.is_staff is spec.operator


def test_identifiers_and_passwords_are_valid():
    load()
    for account in Account.objects.all():
        assert normalize_mobile_phone(account.phone) == account.phone
        assert normalize_snils(account.snils) == account.snils
        assert normalize_passport(account.passport) == account.passport
        if account.inn:
            assert normalize_personal_inn(account.inn) == account.inn
    for spec in ACCOUNTS:
        # The same policy a citizen meets, with the person's own data.
        password_validation.validate_password(spec.password, Account.objects.get(phone=spec.phone))
    for person in UNREGISTERED:
        assert normalize_snils(person.snils) == person.snils
        if person.inn:
            assert normalize_personal_inn(person.inn) == person.inn


def test_operator_and_confirmed_citizen(client):
    load()
    operator = Account.objects.get(is_staff=True)
    assert operator.groups.filter(name=SUPPORT_GROUP).exists()
    assert operator.has_perm("accounts.confirm_identity")
    assert operator.level == Level.CONFIRMED
    client.force_login(operator)
    assert client.get("/support/").status_code == 200

    confirmation = IdentityConfirmation.objects.get()
    assert confirmation.method == IdentityConfirmation.Method.IN_PERSON
    assert confirmation.operator == operator
    assert confirmation.account.level == Level.CONFIRMED


def test_simplified_citizen_can_fix_the_passport_and_pass(client):
    load()
    spec = next(spec for spec in ACCOUNTS if spec.level == Level.SIMPLIFIED)
    account = Account.objects.get(phone=spec.phone)
    assert RegistryCheck.objects.get(account=account).status == RegistryCheck.Status.REJECTED
    client.force_login(account)
    response = client.post(
        "/account/data/",
        {
            "last_name": account.last_name,
            "first_name": account.first_name,
            "middle_name": account.middle_name,
            "birth_date": account.birth_date.strftime("%d.%m.%Y"),
            "snils": account.snils,
            "passport": spec.person.passport,
        },
    )
    assert response.status_code == 302
    run_registry_checks()
    account.refresh_from_db()
    assert account.level == Level.STANDARD


def test_unregistered_person_registers_and_passes_the_check(client):
    load()
    person = UNREGISTERED[0]
    password = "Vesna#Lipa2026"
    response = client.post(
        "/register/",
        {
            "last_name": person.last_name,
            "first_name": person.first_name,
            "middle_name": person.middle_name,
            "birth_date": person.birth_date.strftime("%d.%m.%Y"),
            "snils": person.snils,
            "inn": person.inn,
            "passport": person.passport,
            "phone": "+7 916 111-00-05",
            "password1": password,
            "password2": password,
            "agree": "on",
        },
    )
    assert response.status_code == 302
    sms = Message.objects.filter(recipient="+79161110005").latest("id")
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)
    assert client.post("/register/confirm/", {"code": code}).status_code == 302
    assert run_registry_checks() == 1
    account = Account.objects.get(phone="+79161110005")
    assert account.level == Level.STANDARD


def test_refuses_to_run_outside_demo_mode(settings):
    settings.DEMO = False
    with pytest.raises(CommandError):
        load()
    assert not Account.objects.exists()


def test_demo_clients_for_the_cabinet_and_a_public_partner():
    load()
    applications = get_application_model().objects.select_related("profile")
    cabinet = applications.get(client_id=CABINET_CLIENT_ID)
    partner = applications.get(client_id=PARTNER_CLIENT_ID)
    assert cabinet.client_type == "confidential" and partner.client_type == "public"
    assert cabinet.redirect_uris == "http://127.0.0.1:8001/sso/callback/"
    # The demo secret works, and only its hash is stored.
    assert cabinet.client_secret != CABINET_CLIENT_SECRET
    assert check_password(CABINET_CLIENT_SECRET, cabinet.client_secret)
    assert "snils" in cabinet.profile.scope_set and partner.profile.scope_set == {
        "openid",
        "fullname",
    }
