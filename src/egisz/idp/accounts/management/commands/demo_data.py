"""Load the demo accounts and the demo registry (`egisz demo-data`). Idempotent: what
already exists is left as it is, so a second run changes nothing.

Accounts (log in at /login/ with the phone and password, then the SMS code from
/dev/outbox):

  role                         phone              password            level
  citizen, simplified          +7 916 111-00-01   Demo#Simple2026     упрощённая
  citizen, standard            +7 916 111-00-02   Demo#Standard2026   стандартная
  citizen, confirmed           +7 916 111-00-03   Demo#Confirmed2026  подтверждённая
  citizen, temporary password  +7 916 111-00-04   Vremenny#Parol7     стандартная
  support operator             +7 916 111-00-09   Demo#Support2026    подтверждённая

The simplified citizen's registry check failed: the passport typed at registration
(4510 111111) differs from the registry's (4510 111112). Correct it under «Исправить
данные» to see the check pass.

People in the demo registry without an account, for trying registration end to end (any
free mobile number, e.g. +7 916 111-00-05; the registry check passes within seconds):

  Волков Андрей Николаевич, born 12.09.1995, СНИЛС 123-456-005 23, passport 4515 555555,
  ИНН 770100000216
  Новикова Ольга Дмитриевна, born 30.04.2001, СНИЛС 123-456-006 24, passport 4521 666666
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.common.audit.services import record_event
from egisz.common.identifiers import format_phone, format_snils
from egisz.idp.accounts.models import (
    Account,
    DemoRegistryRecord,
    IdentityConfirmation,
    Level,
    RegistryCheck,
)
from egisz.idp.accounts.registry import Mismatch
from egisz.idp.audit_actions import IdpAction
from egisz.idp.oidc.demo import ensure_demo_clients
from egisz.idp.support.services import SUPPORT_GROUP


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    middle_name: str
    birth_date: datetime.date
    snils: str
    passport: str
    inn: str = ""


@dataclass(frozen=True)
class DemoAccount:
    role: str
    person: Person
    phone: str
    password: str
    level: str
    email: str = ""
    # What the registry check found; None for an account never checked.
    check: str | None = RegistryCheck.Status.VERIFIED
    check_reason: str = ""
    temporary_password: bool = False
    operator: bool = False
    # The passport the person typed, when it differs from the registry's.
    typed_passport: str = ""


SIMPLIFIED = Person(
    "Смирнова", "Анна", "Сергеевна", datetime.date(1990, 5, 20), "12345600119", "4510111112"
)
STANDARD = Person(
    "Кузнецов",
    "Дмитрий",
    "Олегович",
    datetime.date(1982, 11, 3),
    "12345600220",
    "4511222222",
    "770708389324",
)
CONFIRMED = Person(
    "Иванова",
    "Мария",
    "Петровна",
    datetime.date(1985, 3, 14),
    "12345600321",
    "4512333333",
    "773600000107",
)
TEMPORARY = Person(
    "Попов", "Сергей", "Иванович", datetime.date(1975, 7, 9), "12345600422", "4513444444"
)
OPERATOR = Person(
    "Соколова",
    "Елена",
    "Викторовна",
    datetime.date(1988, 1, 25),
    "12345600927",
    "4514999999",
    "500100000199",
)
# In the registry only: for registering during a demo.
UNREGISTERED = (
    Person(
        "Волков",
        "Андрей",
        "Николаевич",
        datetime.date(1995, 9, 12),
        "12345600523",
        "4515555555",
        "770100000216",
    ),
    Person(
        "Новикова", "Ольга", "Дмитриевна", datetime.date(2001, 4, 30), "12345600624", "4521666666"
    ),
)

ACCOUNTS = (
    DemoAccount(
        role="гражданин, упрощённая",
        person=SIMPLIFIED,
        phone="+79161110001",
        password="Demo#Simple2026",  # noqa: S106 (demo password, printed on purpose)
        level=Level.SIMPLIFIED,
        check=RegistryCheck.Status.REJECTED,
        check_reason=Mismatch.PASSPORT,
        typed_passport="4510111111",
    ),
    DemoAccount(
        role="гражданин, стандартная",
        person=STANDARD,
        phone="+79161110002",
        password="Demo#Standard2026",  # noqa: S106
        level=Level.STANDARD,
        email="kuznetsov@example.ru",
    ),
    DemoAccount(
        role="гражданин, подтверждённая",
        person=CONFIRMED,
        phone="+79161110003",
        password="Demo#Confirmed2026",  # noqa: S106
        level=Level.CONFIRMED,
        email="ivanova@example.ru",
    ),
    DemoAccount(
        role="гражданин, временный пароль",
        person=TEMPORARY,
        phone="+79161110004",
        password="Vremenny#Parol7",  # noqa: S106
        level=Level.STANDARD,
        temporary_password=True,
    ),
    DemoAccount(
        role="оператор поддержки",
        person=OPERATOR,
        phone="+79161110009",
        password="Demo#Support2026",  # noqa: S106
        level=Level.CONFIRMED,
        email="support@example.ru",
        operator=True,
    ),
)


class Command(BaseCommand):
    help = "Load the demo accounts and demo registry (idempotent; demo mode only)."

    def handle(self, *args, **options):
        if not settings.DEMO:
            raise CommandError("Demo data is loaded only in demo mode (EGISZ_DEMO=1).")
        with transaction.atomic():
            registry_added = self._registry()
            created = [spec.phone for spec in ACCOUNTS if self._account(spec)]
            self._confirmations()
            clients_created = ensure_demo_clients()
        self.stdout.write(
            _("Демо-реестр: добавлено %(added)d, всего %(total)d.")
            % {"added": registry_added, "total": DemoRegistryRecord.objects.count()}
        )
        self.stdout.write(_("Учётные записи: добавлено %(n)d.") % {"n": len(created)})
        self.stdout.write(
            _("Клиенты OpenID Connect: добавлено %(n)d (%(ids)s).")
            % {"n": len(clients_created), "ids": ", ".join(clients_created) or "—"}
        )
        self._print_table()

    def _registry(self) -> int:
        added = 0
        for person in (*(spec.person for spec in ACCOUNTS), *UNREGISTERED):
            _record, was_created = DemoRegistryRecord.objects.get_or_create(
                snils=person.snils,
                defaults={
                    "passport": person.passport,
                    "last_name": person.last_name,
                    "first_name": person.first_name,
                    "middle_name": person.middle_name,
                    "birth_date": person.birth_date,
                },
            )
            added += was_created
        return added

    def _account(self, spec: DemoAccount) -> bool:
        if Account.objects.filter(phone=spec.phone).exists():
            return False
        person = spec.person
        account = Account.objects.create_user(
            phone=spec.phone,
            password=spec.password,
            last_name=person.last_name,
            first_name=person.first_name,
            middle_name=person.middle_name,
            birth_date=person.birth_date,
            snils=person.snils,
            inn=person.inn,
            passport=spec.typed_passport or person.passport,
            email=spec.email or None,
            email_confirmed=bool(spec.email),
            level=spec.level,
            must_change_password=spec.temporary_password,
            is_staff=spec.operator,
        )
        if spec.operator:
            account.groups.add(Group.objects.get(name=SUPPORT_GROUP))
        if spec.check:
            finished = timezone.now()
            RegistryCheck.objects.create(
                account=account,
                status=spec.check,
                attempts=1,
                reason=spec.check_reason,
                finished_at=finished,
            )
        record_event(
            action=IdpAction.ACCOUNT_CREATED_BY_DEMO_DATA, subject=account, level=spec.level
        )
        return True

    def _confirmations(self) -> None:
        """The confirmed citizen was confirmed in person by the demo operator."""
        citizen = Account.objects.get(phone="+79161110003")
        operator = Account.objects.get(phone="+79161110009")
        if not IdentityConfirmation.objects.filter(account=citizen).exists():
            IdentityConfirmation.objects.create(
                account=citizen,
                operator=operator,
                method=IdentityConfirmation.Method.IN_PERSON,
                note="Демо-данные: паспорт предъявлен в центре обслуживания.",
            )

    def _print_table(self) -> None:
        rows = [(_("роль"), _("телефон"), _("пароль"), _("уровень"), "СНИЛС", _("временный"))]
        for spec in ACCOUNTS:
            account = Account.objects.get(phone=spec.phone)
            rows.append(
                (
                    spec.role,
                    format_phone(account.phone),
                    spec.password,
                    account.get_level_display(),
                    format_snils(account.snils or ""),
                    _("да") if account.must_change_password else _("нет"),
                )
            )
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = (str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
        self.stdout.write(
            _(
                "Пароли — демонстрационные; пароль, сменённый после загрузки, здесь не виден. "
                "Коды из SMS: /dev/outbox или `egisz outbox`."
            )
        )
