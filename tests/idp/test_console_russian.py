"""The IdP's operator console (/support/) speaks Russian: every page of every registered
model (lists with each filter choice, add, change, history, delete and the console's own
pages) is walked as a superuser, on the demo data plus one of each OpenID Connect row, and
may show no English; the admin's phrases around a model's name read right; days are in the
genitive («5 декабря»)."""

import datetime
import importlib
import io
import json
import re
import secrets
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import (
    AccessToken,
    Grant,
    IDToken,
    RefreshToken,
    get_application_model,
)

from egisz.common.audit.models import AuditEvent
from egisz.idp.accounts.models import Account, DemoRegistryRecord
from egisz.idp.oidc.claims import SCOPES
from egisz.idp.oidc.consent import give_consent
from egisz.idp.oidc.demo import CABINET_CLIENT_ID
from egisz.idp.support.services import SUPPORT_GROUP
from tests.common.admin_walk import data_words, visible_text, walk_admin

pytestmark = pytest.mark.django_db

CONFIRMED_CITIZEN = "+79161110003"


@pytest.fixture
def superuser(make_account):
    return make_account(
        last_name="Администраторова",
        first_name="Ирина",
        phone="+79160000009",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def console(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def demo(meta):
    """The demo data, and one of each OpenID Connect row a login leaves (a small factory:
    DOT's own models)."""
    call_command("demo_data", stdout=io.StringIO())
    citizen = Account.objects.get(phone=CONFIRMED_CITIZEN)
    application = _application(CABINET_CLIENT_ID)
    expires = timezone.now() + datetime.timedelta(minutes=10)
    give_consent(account=citizen, application=application, scopes=["openid", "fullname"], meta=meta)
    id_token = IDToken.objects.create(
        user=citizen, application=application, expires=expires, scope="openid fullname"
    )
    access = AccessToken.objects.create(
        user=citizen,
        application=application,
        token=secrets.token_urlsafe(32),
        id_token=id_token,
        expires=expires,
        scope="openid fullname",
    )
    RefreshToken.objects.create(
        user=citizen, application=application, token=secrets.token_urlsafe(32), access_token=access
    )
    Grant.objects.create(
        user=citizen,
        application=application,
        code=secrets.token_urlsafe(32),
        expires=expires,
        redirect_uri=application.redirect_uris.split()[0],
        scope="openid fullname",
        code_challenge=secrets.token_urlsafe(32),
        code_challenge_method="S256",
    )


def _application(client_id):
    return get_application_model().objects.get(client_id=client_id)


def site_identifiers() -> set[str]:
    """Identifiers the IdP holds and shows as they are: client ids, scope names (what an
    operator types into a client's scopes), the journal's actors, subjects and details."""
    events = AuditEvent.objects.all()
    return data_words(
        *SCOPES,
        *(method for method, _label in Grant.CODE_CHALLENGE_METHODS),
        *get_application_model().objects.values_list("client_id", flat=True),
        *(f"{e.actor_id} {e.subject_id} {e.user_agent} {json.dumps(e.details)}" for e in events),
    )


def test_every_page_of_the_console_is_in_russian(console, superuser, demo):
    walk = walk_admin(console, superuser, allowed=site_identifiers())

    assert not walk.failures and not walk.strays, walk.report()
    # Every model the demo data and the factory above fill was opened with an object (its
    # change, history and delete pages too); a model registered later is walked as far as
    # its rows go.
    assert walk.objects_opened >= {
        "auth.group",
        "audit.auditevent",
        "accounts.account",
        "accounts.registrycheck",
        "accounts.identityconfirmation",
        "accounts.demoregistryrecord",
        "oidc.consent",
        "oauth2_provider.application",
        "oauth2_provider.accesstoken",
        "oauth2_provider.refreshtoken",
        "oauth2_provider.idtoken",
        "oauth2_provider.grant",
    }


def test_django_oauth_toolkit_is_named_in_russian(console, demo):
    index = visible_text(console.get("/support/").content.decode())

    assert "Клиенты и токены OpenID Connect" in index
    for plural in ("Клиенты", "Токены доступа", "Токены обновления", "ID-токены"):
        assert plural in index
    clients = visible_text(console.get("/support/oauth2_provider/application/").content.decode())
    assert "Выбор для изменения: клиент" in clients
    assert "Тип клиента" in clients and "конфиденциальный" in clients


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/support/accounts/account/", "Выбор для изменения: учётная запись"),
        ("/support/accounts/demoregistryrecord/add/", "Добавление: запись демо-реестра"),
        ("/support/accounts/registrycheck/", "Выбор для просмотра: проверка в реестре"),
    ],
)
def test_the_admins_phrases_read_right_with_any_model_name(console, demo, url, title):
    text = visible_text(console.get(url).content.decode())

    assert title in text
    assert "Выберите учётная запись" not in text


def test_a_change_page_and_its_message_read_right(console, demo):
    record = DemoRegistryRecord.objects.order_by("pk").first()
    url = f"/support/accounts/demoregistryrecord/{record.pk}/change/"

    assert "Изменение: запись демо-реестра" in visible_text(console.get(url).content.decode())

    fields = ("snils", "passport", "last_name", "first_name", "middle_name")
    data = {name: getattr(record, name) for name in fields}
    saved = console.post(url, {**data, "birth_date": record.birth_date.strftime("%d.%m.%Y")})
    assert saved.status_code == 302
    message = re.sub(r"<[^>]+>", "", console.get(saved["Location"]).content.decode())
    assert f"Сохранено: запись демо-реестра «{record}»." in message


def test_registry_checks_show_their_columns_and_results_in_russian(console, demo):
    text = visible_text(console.get("/support/accounts/registrycheck/").content.decode())

    for header in ("Учётная запись", "Результат", "Попыток", "Начата", "Завершена"):
        assert header in text
    assert "данные не совпали" in text


def test_days_are_in_the_genitive(console, demo, time_machine):
    moment = datetime.datetime(2026, 12, 5, 14, 3, tzinfo=ZoneInfo("Europe/Moscow"))
    time_machine.move_to(moment, tick=False)
    AuditEvent.objects.create(action="account.login", result=AuditEvent.Result.SUCCESS)

    day = console.get("/support/audit/auditevent/?created_at__month=12&created_at__year=2026")
    text = visible_text(day.content.decode())

    assert "5 декабря" in text  # the drill-down by day
    assert "5 Декабрь" not in text
    assert "5 декабря 2026 г. 14:03" in text  # the time of the event in the list


def test_the_support_group_has_a_russian_name_and_keeps_its_rights():
    assert not Group.objects.filter(name="support").exists()
    rights = set(Group.objects.get(name=SUPPORT_GROUP).permissions.values_list("codename", flat=1))
    assert {"view_account", "confirm_identity", "change_application", "view_consent"} <= rights


def test_renaming_the_support_group_keeps_its_members_and_merges_a_namesake(make_account):
    """support.0002 on a database where the group still has its old name and a group of
    the new name was made by hand: one group, with both's rights and members."""
    from django.apps import apps

    migration = importlib.import_module("egisz.idp.support.migrations.0002_russian_group_name")
    renamed = Group.objects.get(name=SUPPORT_GROUP)
    renamed.name = "support"
    renamed.save(update_fields=["name"])
    operator = make_account(phone="+79160000008", is_staff=True)
    operator.groups.add(renamed)
    namesake = Group.objects.create(name=SUPPORT_GROUP)

    migration.rename(apps, None)

    assert not Group.objects.filter(name="support").exists()
    assert list(operator.groups.all()) == [namesake]
    assert namesake.permissions.filter(codename="confirm_identity").exists()


def test_the_security_journal_names_actions_in_words_and_filters_by_them(console, demo):
    from egisz.common.audit.services import record_event
    from egisz.idp.audit_actions import IdpAction

    record_event(action=IdpAction.TOTP_DISABLED, subject="7")

    listing = visible_text(console.get("/support/audit/auditevent/").content.decode())
    assert "Отключено приложение-аутентификатор" in listing
    assert "mfa.totp_disabled" not in listing
    filtered = console.get("/support/audit/auditevent/", {"action": "mfa.totp_disabled"})
    rows = filtered.context["cl"].result_list
    assert [event.action for event in rows] == ["mfa.totp_disabled"]
