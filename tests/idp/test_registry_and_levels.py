"""The background registry check and the account levels it leads to, as the citizen sees
them: the level on the account page and the SMS telling the result."""

import datetime
import threading
from collections import Counter

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from egisz.idp.accounts.models import DemoRegistryRecord, Level, RegistryCheck
from egisz.idp.accounts.registry import RegistryAnswer, RegistryUnavailable
from egisz.idp.accounts.services import (
    REGISTRY_MAX_ATTEMPTS,
    process_next_registry_check,
    queue_registry_check,
    run_registry_checks,
)

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
PERSON = {
    "last_name": "Иванова",
    "first_name": "Мария",
    "middle_name": "Петровна",
    "birth_date": datetime.date(1985, 3, 14),
    "snils": "11223344595",
    "passport": "4509123456",
}


class UnavailableRegistry:
    """A registry that never answers."""

    def verify(self, **person):
        raise RegistryUnavailable("timeout")


class BrokenRegistry:
    """A backend with a bug: anything it raises must not stop the queue."""

    def verify(self, **person):
        raise KeyError("unexpected")


class CountingRegistry:
    """Says yes to everyone and counts how often each СНИЛС was asked about."""

    calls: Counter = Counter()
    lock = threading.Lock()

    def verify(self, *, snils, **person):
        with self.lock:
            self.calls[snils] += 1
        return RegistryAnswer(True)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def registry_record(db):
    return DemoRegistryRecord.objects.create(**PERSON)


@pytest.fixture
def citizen(make_account, clock):
    """A freshly registered citizen with a pending check."""
    account = make_account(**PERSON)
    queue_registry_check(account=account)
    return account


def sms_to(account) -> list[str]:
    return list(
        Message.objects.filter(channel="sms", recipient=account.phone)
        .order_by("id")
        .values_list("body", flat=True)
    )


def test_match_raises_the_account_to_standard_and_tells_the_citizen(citizen, registry_record):
    assert run_registry_checks() == 1
    citizen.refresh_from_db()
    assert citizen.level == Level.STANDARD
    check = RegistryCheck.objects.get(account=citizen)
    assert check.status == RegistryCheck.Status.VERIFIED and check.finished_at == START
    assert AuditEvent.objects.filter(action="registry.verified", subject_id=str(citizen.pk))
    [sms] = sms_to(citizen)
    assert "проверены" in sms and "стандартная" in sms


def test_confirmed_email_gets_the_news_too(make_account, registry_record, clock):
    account = make_account(**PERSON, email="ivanova@example.ru", email_confirmed=True)
    queue_registry_check(account=account)
    run_registry_checks()
    assert Message.objects.filter(channel="email", recipient="ivanova@example.ru").exists()


def test_unconfirmed_email_gets_nothing(make_account, registry_record, clock):
    account = make_account(**PERSON, email="ivanova@example.ru", email_confirmed=False)
    queue_registry_check(account=account)
    run_registry_checks()
    assert not Message.objects.filter(channel="email").exists()


def test_case_and_yo_do_not_make_another_person(make_account, clock):
    DemoRegistryRecord.objects.create(**{**PERSON, "last_name": "Ёлкина"})
    account = make_account(**{**PERSON, "last_name": "елкина"})
    queue_registry_check(account=account)
    run_registry_checks()
    account.refresh_from_db()
    assert account.level == Level.STANDARD


@pytest.mark.parametrize(
    ("change", "explained"),
    [
        ({"passport": "4509123457"}, "серия и номер паспорта"),
        ({"first_name": "Марина"}, "фамилия, имя или отчество"),
        ({"birth_date": datetime.date(1985, 3, 15)}, "дата рождения"),
        ({"snils": "98765432183"}, "СНИЛС не найден"),
    ],
)
def test_mismatch_is_rejected_with_a_plain_reason(
    make_account, registry_record, clock, change, explained
):
    account = make_account(**{**PERSON, **change})
    queue_registry_check(account=account)
    run_registry_checks()
    account.refresh_from_db()
    assert account.level == Level.SIMPLIFIED
    check = RegistryCheck.objects.get(account=account)
    assert check.status == RegistryCheck.Status.REJECTED and check.reason
    assert AuditEvent.objects.filter(action="registry.rejected", subject_id=str(account.pk))
    [sms] = sms_to(account)
    assert "не прошли проверку" in sms and explained in sms
    assert "Исправьте" in sms


def test_a_confirmed_account_is_never_lowered(make_account, registry_record, clock):
    account = make_account(**PERSON, level=Level.CONFIRMED)
    queue_registry_check(account=account)
    run_registry_checks()
    account.refresh_from_db()
    assert account.level == Level.CONFIRMED


def test_unavailable_registry_is_retried_with_back_off(citizen, registry_record, clock, settings):
    settings.REGISTRY_BACKEND = "tests.idp.test_registry_and_levels.UnavailableRegistry"
    assert run_registry_checks() == 1
    check = RegistryCheck.objects.get(account=citizen)
    assert check.status == RegistryCheck.Status.PENDING and check.attempts == 1
    assert check.next_attempt_at == START + datetime.timedelta(minutes=1)
    [sms] = sms_to(citizen)
    assert "задерживается" in sms
    # Not due yet: nothing is tried.
    assert run_registry_checks() == 0

    clock.shift(datetime.timedelta(minutes=1))
    assert run_registry_checks() == 1
    check.refresh_from_db()
    assert check.attempts == 2
    assert check.next_attempt_at == START + datetime.timedelta(minutes=1 + 2)
    assert len(sms_to(citizen)) == 1  # told once, not at every retry

    settings.REGISTRY_BACKEND = "egisz.idp.accounts.registry.DemoRegistryBackend"
    clock.shift(datetime.timedelta(minutes=2))
    assert run_registry_checks() == 1
    check.refresh_from_db()
    citizen.refresh_from_db()
    assert check.status == RegistryCheck.Status.VERIFIED and check.attempts == 3
    assert citizen.level == Level.STANDARD
    assert "стандартная" in sms_to(citizen)[-1]
    assert AuditEvent.objects.filter(action="registry.unavailable").count() == 2


def test_gives_up_after_many_attempts_and_lets_the_citizen_retry(
    client, citizen, clock, settings, registry_record
):
    settings.REGISTRY_BACKEND = "tests.idp.test_registry_and_levels.UnavailableRegistry"
    for _ in range(REGISTRY_MAX_ATTEMPTS):
        clock.shift(datetime.timedelta(hours=7))
        assert run_registry_checks() == 1
    check = RegistryCheck.objects.get(account=citizen)
    assert check.status == RegistryCheck.Status.ERROR
    assert "Запустите проверку снова" in sms_to(citizen)[-1]

    # The citizen starts it again from the account page.
    settings.REGISTRY_BACKEND = "egisz.idp.accounts.registry.DemoRegistryBackend"
    client.force_login(citizen)
    assert "реестр недоступен" in client.get("/").content.decode()
    response = client.post("/account/data/", _data_form(PERSON))
    assert response.status_code == 302
    run_registry_checks()
    citizen.refresh_from_db()
    assert citizen.level == Level.STANDARD


def test_a_broken_backend_does_not_stop_the_queue(make_account, clock, settings):
    settings.REGISTRY_BACKEND = "tests.idp.test_registry_and_levels.BrokenRegistry"
    first = make_account(**PERSON)
    second = make_account(**{**PERSON, "snils": "98765432183"})
    queue_registry_check(account=first)
    queue_registry_check(account=second)
    assert run_registry_checks() == 2
    assert set(RegistryCheck.objects.values_list("attempts", flat=True)) == {1}


def test_limit_is_respected(make_account, clock, settings):
    settings.REGISTRY_BACKEND = "tests.idp.test_registry_and_levels.CountingRegistry"
    for n in range(3):
        account = make_account(**{**PERSON, "snils": None, "phone": f"+7916000000{n}"})
        queue_registry_check(account=account)
    assert run_registry_checks(limit=2) == 2
    assert run_registry_checks(limit=2) == 1
    assert process_next_registry_check() is None


# --- Correcting data ----------------------------------------------------------------------


def _data_form(person: dict, **changes) -> dict:
    data = {**person, **changes}
    return {
        "last_name": data["last_name"],
        "first_name": data["first_name"],
        "middle_name": data["middle_name"],
        "birth_date": data["birth_date"].strftime("%d.%m.%Y"),
        "snils": data["snils"],
        "passport": data["passport"],
    }


def test_citizen_fixes_a_typo_and_passes_the_check(client, make_account, registry_record, clock):
    account = make_account(**{**PERSON, "passport": "4509123457"})
    queue_registry_check(account=account)
    run_registry_checks()
    client.force_login(account)
    home = client.get("/").content.decode()
    assert "серия и номер паспорта" in home and "Исправить данные" in home
    form_page = client.get("/account/data/").content.decode()
    assert 'value="4509 123457"' in form_page

    response = client.post("/account/data/", _data_form(PERSON, passport="4509 123456"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.passport == "4509123456"
    assert RegistryCheck.objects.filter(account=account, status="pending").count() == 1
    assert AuditEvent.objects.filter(action="account.data_corrected", subject_id=str(account.pk))
    run_registry_checks()
    account.refresh_from_db()
    assert account.level == Level.STANDARD


def test_data_cannot_be_changed_while_checked_or_once_verified(client, citizen, registry_record):
    client.force_login(citizen)
    # A check is running.
    response = client.post("/account/data/", _data_form(PERSON, first_name="Марина"))
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.first_name == "Мария"
    run_registry_checks()
    # Verified: the registry confirmed exactly this data.
    response = client.post("/account/data/", _data_form(PERSON, first_name="Марина"))
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.first_name == "Мария"
    assert "Исправить данные" not in client.get("/").content.decode()


def test_a_correction_never_says_whether_another_account_has_the_snils(
    client, make_account, registry_record, clock, settings
):
    """The corrected СНИЛС is another account's (checked): the correction is taken like
    any other, and the registry check that follows — which matches the person — is what
    says the СНИЛС is already someone's, with what to do and whom to call."""
    make_account(**{**PERSON, "phone": "+79160000077", "level": Level.STANDARD})
    account = make_account(**{**PERSON, "snils": "98765432183"})
    queue_registry_check(account=account)
    run_registry_checks()  # no registry record for that СНИЛС: rejected
    client.force_login(account)
    response = client.post("/account/data/", _data_form(PERSON, snils="112-233-445 95"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.snils == "11223344595"
    run_registry_checks()
    account.refresh_from_db()
    assert account.level == Level.SIMPLIFIED
    check = RegistryCheck.objects.filter(account=account).order_by("-id").first()
    assert (check.status, check.reason) == ("rejected", "snils_taken")
    told = Message.objects.filter(recipient=account.phone).order_by("-id").first().body
    assert "уже подтверждён в другой учётной записи" in told
    assert settings.SUPPORT_CONTACT in told
    page = client.get("/").content.decode()
    assert "уже подтверждён в другой учётной записи" in page


# --- Account page per level ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "says"),
    [
        (Level.SIMPLIFIED, "дождитесь проверки СНИЛС и паспорта"),
        (Level.STANDARD, "видеоверификацию"),
        (Level.CONFIRMED, "Доступны все электронные услуги"),
    ],
)
def test_account_page_explains_the_level(client, make_account, level, says):
    account = make_account(level=level)
    client.force_login(account)
    text = client.get("/").content.decode()
    assert f"Ваша учётная запись — {account.get_level_display()}." in text
    assert says in text


# --- Several workers ----------------------------------------------------------------------


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set EGISZ_IDP_DATABASE_URL)")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_check_each_account_once(postgres_only, make_account, settings):
    settings.REGISTRY_BACKEND = "tests.idp.test_registry_and_levels.CountingRegistry"
    CountingRegistry.calls.clear()
    accounts = [
        make_account(**{**PERSON, "snils": f"{n:09d}00", "phone": f"+791600001{n:02d}"})
        for n in range(1, 31)
    ]
    for account in accounts:
        queue_registry_check(account=account)
    start = threading.Barrier(4)
    errors = []

    def worker():
        try:
            start.wait()
            run_registry_checks(limit=100)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(CountingRegistry.calls) == 30
    assert max(CountingRegistry.calls.values()) == 1
    assert RegistryCheck.objects.filter(status="verified").count() == 30


# --- No lock held while the registry is asked ----------------------------------------------


class ObservingRegistry:
    """Says yes; while asked, notes whether the worker is inside a transaction and whether
    another connection (a login of the same citizen) can lock the account at once."""

    seen: dict = {}

    def verify(self, **person):
        from egisz.idp.accounts.models import Account

        self.seen["in_transaction"] = connection.in_atomic_block

        def login_elsewhere():
            try:
                with transaction.atomic():
                    Account.objects.select_for_update(nowait=True).get(snils=person["snils"])
                self.seen["account_lockable"] = True
            except DatabaseError:
                self.seen["account_lockable"] = False
            finally:
                connection.close()

        other = threading.Thread(target=login_elsewhere)
        other.start()
        other.join(timeout=30)
        return RegistryAnswer(True)


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_the_registry_is_asked(make_account, settings):
    settings.REGISTRY_BACKEND = "tests.idp.test_registry_and_levels.ObservingRegistry"
    ObservingRegistry.seen.clear()
    account = make_account(**PERSON)
    queue_registry_check(account=account)

    assert run_registry_checks() == 1

    assert ObservingRegistry.seen["in_transaction"] is False
    account.refresh_from_db()
    assert account.level == Level.STANDARD


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_citizens_account_is_not_locked_while_the_registry_is_asked(
    postgres_only, make_account, settings
):
    settings.REGISTRY_BACKEND = "tests.idp.test_registry_and_levels.ObservingRegistry"
    ObservingRegistry.seen.clear()
    account = make_account(**PERSON)
    queue_registry_check(account=account)

    assert run_registry_checks() == 1

    assert ObservingRegistry.seen["account_lockable"] is True, "a login would have waited"
    assert RegistryCheck.objects.get(account=account).status == RegistryCheck.Status.VERIFIED


class DataChangingRegistry:
    """Says yes; while it is asked, the citizen's passport number changes."""

    def verify(self, **person):
        from egisz.idp.accounts.models import Account

        Account.objects.filter(snils=person["snils"]).update(passport="4509000000")
        return RegistryAnswer(True)


def test_an_answer_about_data_changed_meanwhile_is_not_applied(make_account, clock, settings):
    settings.REGISTRY_BACKEND = "tests.idp.test_registry_and_levels.DataChangingRegistry"
    account = make_account(**PERSON)
    queue_registry_check(account=account)

    assert run_registry_checks(limit=1) == 1

    account.refresh_from_db()
    assert account.level == Level.SIMPLIFIED, "the registry confirmed the old passport only"
    check = RegistryCheck.objects.get(account=account)
    assert check.status == RegistryCheck.Status.PENDING
    assert check.next_attempt_at == START, "asked again about the new data at once"


def test_a_check_claimed_by_a_worker_that_died_is_taken_again_after_its_lease(
    citizen, registry_record, clock, settings, monkeypatch
):
    from egisz.idp.accounts import services

    monkeypatch.setattr(services, "registry_backend", lambda: UnavailableRegistry())
    claimed = services._claim_registry_check(None)  # the worker dies before the registry answers
    assert claimed is not None
    assert process_next_registry_check() is None, "held by the claim"
    monkeypatch.undo()

    clock.shift(services.REGISTRY_LEASE)
    assert run_registry_checks() == 1
    citizen.refresh_from_db()
    assert citizen.level == Level.STANDARD
    assert RegistryCheck.objects.get(account=citizen).attempts == 2
