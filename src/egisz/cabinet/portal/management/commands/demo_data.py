"""The cabinet's demo data (`egisz demo-data` runs it after the IdP's): the directory of
medical organisations and the cabinet operator's staff. Idempotent. Patients are not made
here: a demo citizen becomes a patient at the first login through the IdP."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.organizations.demo import load_demo_organizations
from egisz.cabinet.staff.selectors import staff_phone
from egisz.cabinet.staff.services import set_staff_phone
from egisz.common.audit.services import record_event

OPERATORS_GROUP = "Операторы кабинета"
# What the operator's staff may do in /operator/: decide attachments and corrections, keep
# the directory, look (only look) at patients and their documents.
OPERATOR_APPS = ("cabinet_organizations", "cabinet_profile")
OPERATOR_VIEW_APPS = ("cabinet_patients", "cabinet_documents")

DEMO_STAFF = [
    # (login, password, full name, phone for the console login's SMS codes)
    ("operator", "Demo#Operator2026", "Оператор кабинета", "+79162220001"),
]


class Command(BaseCommand):
    help = "Load the cabinet's demo data: organisations and the operator's staff (demo only)."

    def handle(self, *args, **options):
        if not settings.DEMO:
            raise CommandError("Demo data is loaded only in demo mode (EGISZ_DEMO=1).")
        report = load_demo_organizations()
        self.stdout.write(f"Медицинские организации: {report}")
        with transaction.atomic():
            group = _operators_group()
            for login, password, full_name, phone in DEMO_STAFF:
                created = _ensure_staff(login, password, full_name, phone, group)
                state = "создан" if created else "уже есть"
                self.stdout.write(f"Сотрудник оператора {login}: {state}")


def _operators_group() -> Group:
    group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=OPERATOR_APPS) | (
        Permission.objects.filter(
            content_type__app_label__in=OPERATOR_VIEW_APPS, codename__startswith="view_"
        )
    )
    group.permissions.set(permissions)
    return group


def _ensure_staff(login: str, password: str, full_name: str, phone: str, group: Group) -> bool:
    user_model = get_user_model()
    existing = user_model.objects.filter(username=login).first()
    if existing is not None:
        # Demo data loaded before the console asked for an SMS code: give the phone now.
        if existing.is_staff and not staff_phone(existing):
            set_staff_phone(user=existing, phone=phone)
        return False
    first_name, _, last_name = full_name.partition(" ")
    user = user_model.objects.create_user(
        username=login, password=password, first_name=first_name, last_name=last_name
    )
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(group)
    record_event(action=CabinetAction.STAFF_CREATED_BY_DEMO_DATA, subject=user)
    set_staff_phone(user=user, phone=phone)
    return True
