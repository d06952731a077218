"""Reads of «Личные данные» and of the citizen's «журнал активности»."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext_lazy as _

from egisz.cabinet.patients.activity import activity_label
from egisz.cabinet.patients.models import Address, Patient
from egisz.common.audit.models import AuditEvent

ACTIVITY_PAGE_SIZE = 20
RECENT_ACTIVITY = 5

WHO_YOU = _("Вы")
WHO_STAFF = _("Сотрудник оператора кабинета")
WHO_SYSTEM = _("Система")


@dataclass(frozen=True)
class ActivityRow:
    created_at: datetime
    label: str
    who: str
    success: bool
    result: str


def patient_addresses(*, patient: Patient) -> dict[str, Address | None]:
    """The patient's addresses by kind; None where none is given yet."""
    found = {address.kind: address for address in Address.objects.filter(patient=patient)}
    return {kind: found.get(kind) for kind in Address.Kind.values}


def patient_address(*, patient: Patient, kind: str) -> Address | None:
    return Address.objects.filter(patient=patient, kind=kind).first()


def activity_events(*, patient: Patient):
    """The patient's own events of the audit journal, newest first."""
    return (
        AuditEvent.objects.filter(subject_id=str(patient.user_id))
        .only("created_at", "action", "result", "actor_id", "subject_id")
        .order_by("-created_at", "-id")
    )


def activity_rows(events, *, patient: Patient) -> list[ActivityRow]:
    """How the citizen reads each event: when, what, who, with what result."""
    own = str(patient.user_id)
    rows = []
    for event in events:
        if event.actor_id == own:
            who = WHO_YOU
        elif event.actor_id:
            who = WHO_STAFF
        else:
            who = WHO_SYSTEM
        success = event.result == AuditEvent.Result.SUCCESS
        rows.append(
            ActivityRow(
                created_at=event.created_at,
                label=str(activity_label(event.action)),
                who=str(who),
                success=success,
                result=str(event.get_result_display()),
            )
        )
    return rows


def recent_activity(*, patient: Patient, limit: int = RECENT_ACTIVITY) -> list[ActivityRow]:
    return activity_rows(activity_events(patient=patient)[:limit], patient=patient)


def activity_page(*, patient: Patient, number) -> tuple[Page, list[ActivityRow]]:
    page = Paginator(activity_events(patient=patient), ACTIVITY_PAGE_SIZE).get_page(number)
    return page, activity_rows(page.object_list, patient=patient)
