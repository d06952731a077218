"""Writes of the directory, the ОМС policy and attachment. Each function changes state,
records its audit event and queues its notifications in one transaction."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.notifications.kinds import NotificationKind
from egisz.cabinet.notifications.services import notify_patient
from egisz.cabinet.organizations.models import (
    Attachment,
    InsurancePolicy,
    MedicalOrganization,
)
from egisz.cabinet.organizations.phones import normalize_landline
from egisz.cabinet.patients.models import Patient
from egisz.common.audit.services import record_event
from egisz.common.identifiers import normalize_enp
from egisz.common.regions import REGIONS
from egisz.common.request_meta import SYSTEM, RequestMeta

DECIDE_PERMISSION = "cabinet_organizations.decide_attachment"

# --- Import of the directory ----------------------------------------------------------------

#: The fields of a row (CSV column names, JSON keys), in the order of the file's header.
FIELDS = ("oid", "full_name", "short_name", "kind", "region", "address", "phone", "hours")
OPTIONAL_FIELDS = ("phone", "hours", "is_active")
REQUIRED_FIELDS = tuple(name for name in FIELDS if name not in OPTIONAL_FIELDS)
STORED_FIELDS = (*FIELDS, "is_active")
CHUNK = 500

# 1.2.643 is Russia's arc; each further arc is a number without leading zeros.
OID_PATTERN = re.compile(r"1\.2\.643(?:\.(?:0|[1-9][0-9]{0,17}))+")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
TRUE_WORDS = {"1", "true", "yes", "да", "y", "д"}
FALSE_WORDS = {"0", "false", "no", "нет", "n", "н"}
_KINDS = {
    **{key.casefold(): key for key in MedicalOrganization.Kind.values},
    **{
        str(label).casefold(): key
        for key, label in zip(
            MedicalOrganization.Kind.values, MedicalOrganization.Kind.labels, strict=True
        )
    },
    "фап": MedicalOrganization.Kind.FAP,
    "фельдшерско-акушерский пункт": MedicalOrganization.Kind.FAP,
}
_REGION_NAMES = {name.casefold(): code for code, name in REGIONS.items()}


def _max_length(name: str) -> int:
    return MedicalOrganization._meta.get_field(name).max_length


class RowRejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rejection:
    number: int  # the line of a CSV file, the position (from 1) of a JSON object
    reason: str
    oid: str = ""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        return _(
            "Добавлено: %(created)d, обновлено: %(updated)d, без изменений: %(unchanged)d, "
            "отклонено: %(rejected)d."
        ) % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
        }


@dataclass(frozen=True)
class SourceRow:
    """A row with its place in the file (so a rejection can say where to look)."""

    number: int
    data: Mapping
    problem: str = ""  # why the reader could not make a row of it


def import_organizations(
    rows: Iterable[Mapping | SourceRow],
    *,
    meta: RequestMeta = SYSTEM,
    actor=None,
    source: str = "",
) -> ImportReport:
    """Loads or updates organisations by OID. Idempotent: a row equal to what is stored
    changes nothing (not even «изменена»). Every bad row is reported with its number and
    why; the other rows load all the same."""
    report = ImportReport()
    valid: dict[str, tuple[int, dict]] = {}
    for position, row in enumerate(rows, start=1):
        number = row.number if isinstance(row, SourceRow) else position
        data = row.data if isinstance(row, SourceRow) else row
        try:
            if isinstance(row, SourceRow) and row.problem:
                raise RowRejected(row.problem)
            clean = clean_organization_row(data)
        except RowRejected as refusal:
            oid = data.get("oid") if isinstance(data, Mapping) else ""
            report.rejected.append(
                Rejection(number, refusal.reason, oid if isinstance(oid, str) else "")
            )
            continue
        if clean["oid"] in valid:
            first = valid[clean["oid"]][0]
            reason = _("OID %(oid)s уже встречался в файле (строка %(first)d)") % {
                "oid": clean["oid"],
                "first": first,
            }
            report.rejected.append(Rejection(number, reason, clean["oid"]))
            continue
        valid[clean["oid"]] = (number, clean)

    with transaction.atomic():
        items = list(valid.values())
        for start in range(0, len(items), CHUNK):
            _store_chunk([clean for _number, clean in items[start : start + CHUNK]], report)
        record_event(
            action=CabinetAction.ORGANIZATIONS_IMPORTED,
            meta=meta,
            actor=actor,
            subject="",
            source=source[:255],
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=len(report.rejected),
        )
    return report


def _store_chunk(rows: list[dict], report: ImportReport) -> None:
    existing = MedicalOrganization.objects.select_for_update().in_bulk(
        [row["oid"] for row in rows], field_name="oid"
    )
    now = timezone.now()
    new, changed = [], []
    for row in rows:
        organization = existing.get(row["oid"])
        if organization is None:
            organization = MedicalOrganization(**row, created_at=now, updated_at=now)
            organization.search_text = organization.compute_search_text()
            new.append(organization)
            continue
        if all(getattr(organization, name) == row[name] for name in STORED_FIELDS):
            report.unchanged += 1
            continue
        for name in STORED_FIELDS:
            setattr(organization, name, row[name])
        organization.search_text = organization.compute_search_text()
        organization.updated_at = now
        changed.append(organization)
    MedicalOrganization.objects.bulk_create(new)
    MedicalOrganization.objects.bulk_update(
        changed, fields=[*STORED_FIELDS, "search_text", "updated_at"]
    )
    report.created += len(new)
    report.updated += len(changed)


def clean_organization_row(data) -> dict:
    """The row as stored, or RowRejected with the reason in Russian."""
    if not isinstance(data, Mapping):
        raise RowRejected(_("запись должна быть объектом с полями организации"))
    row = {name: _text(data, name) for name in FIELDS}
    missing = [name for name in REQUIRED_FIELDS if not row[name]]
    if missing:
        raise RowRejected(
            _("не заполнены обязательные поля: %(fields)s") % {"fields": ", ".join(missing)}
        )
    for name in ("full_name", "short_name", "address", "hours"):
        limit = _max_length(name)
        if len(row[name]) > limit:
            raise RowRejected(
                _("поле %(field)s длиннее %(limit)d символов") % {"field": name, "limit": limit}
            )
    if len(row["oid"]) > _max_length("oid") or not OID_PATTERN.fullmatch(row["oid"]):
        raise RowRejected(
            _("OID «%(oid)s» указан неверно: нужны числа через точку, начиная с 1.2.643.")
            % {"oid": row["oid"][:60]}
        )
    row["kind"] = _kind(row["kind"])
    row["region"] = _region(row["region"])
    if row["phone"]:
        try:
            row["phone"] = normalize_landline(row["phone"])
        except ValidationError as error:
            raise RowRejected(
                _("телефон «%(phone)s»: %(reason)s")
                % {"phone": row["phone"][:40], "reason": error.messages[0]}
            ) from error
    row["is_active"] = _flag(data.get("is_active"))
    return row


def _text(data: Mapping, name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RowRejected(_("поле %(field)s должно быть строкой") % {"field": name})
    text = " ".join(str(value).split())
    if CONTROL_CHARACTERS.search(text):
        raise RowRejected(_("в поле %(field)s недопустимые символы") % {"field": name})
    return text


def _kind(raw: str) -> str:
    kind = _KINDS.get(raw.casefold())
    if kind is None:
        raise RowRejected(
            _("неизвестный тип организации «%(kind)s»; допустимы: %(known)s")
            % {
                "kind": raw[:60],
                "known": ", ".join(str(label) for label in MedicalOrganization.Kind.labels),
            }
        )
    return kind


def _region(raw: str) -> str:
    code = raw.zfill(2) if raw.isascii() and raw.isdigit() and len(raw) <= 2 else None
    code = code if code in REGIONS else _REGION_NAMES.get(raw.casefold())
    if code is None:
        raise RowRejected(
            _("неизвестный код региона «%(region)s»: нужен код субъекта РФ, например 77")
            % {"region": raw[:60]}
        )
    return code


def _flag(value) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RowRejected(
        _("поле is_active: «%(value)s» — нужно да/нет (1/0)") % {"value": str(value)[:20]}
    )


# --- ОМС policy -------------------------------------------------------------------------------


@transaction.atomic
def save_policy(
    *, patient: Patient, enp: str, insurer: str, meta: RequestMeta
) -> tuple[InsurancePolicy, bool]:
    """Stores the patient's ЕНП and insurer. Returns (policy, changed)."""
    enp = normalize_enp(enp)
    insurer = " ".join((insurer or "").split())
    if not insurer:
        raise ValidationError(_("Укажите страховую медицинскую организацию."))
    if len(insurer) > InsurancePolicy._meta.get_field("insurer").max_length:
        raise ValidationError(_("Название страховой организации слишком длинное."))
    policy = InsurancePolicy.objects.select_for_update().filter(patient=patient).first()
    if policy is not None and policy.enp == enp and policy.insurer == insurer:
        return policy, False
    if policy is None:
        policy = InsurancePolicy.objects.create(patient=patient, enp=enp, insurer=insurer)
        changed = ["enp", "insurer"]
    else:
        changed = [
            name
            for name, value in (("enp", enp), ("insurer", insurer))
            if getattr(policy, name) != value
        ]
        policy.enp, policy.insurer = enp, insurer
        policy.save(update_fields=[*changed, "updated_at"])
    record_event(
        action=CabinetAction.POLICY_SAVED,
        meta=meta,
        actor=patient.user,
        fields=changed,
        enp_last_digits=enp[-4:],
        insurer=insurer,
    )
    notify_patient(
        patient=patient,
        kind=NotificationKind.POLICY_SAVED,
        params={"enp": policy.enp_display, "insurer": insurer},
        link=reverse("organizations:policy"),
    )
    return policy, True


# --- Attachment -------------------------------------------------------------------------------


class AttachmentRefused(Exception):
    """Why an attachment step cannot be done, in words for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def request_attachment(
    *, patient: Patient, organization: MedicalOrganization, meta: RequestMeta
) -> Attachment:
    """The patient asks to be attached; the request waits for the organisation's decision."""
    # One request at a time per patient: concurrent clicks queue on the patient's row.
    Patient.objects.select_for_update().filter(pk=patient.pk).exists()
    if not InsurancePolicy.objects.filter(patient=patient).exists():
        raise AttachmentRefused(
            _(
                "Сначала укажите полис ОМС: без номера полиса медицинская организация не "
                "может рассмотреть заявление о прикреплении."
            )
        )
    if not organization.is_active:
        raise AttachmentRefused(_("Эта медицинская организация не принимает заявления."))
    pending = (
        Attachment.objects.filter(patient=patient, status=Attachment.Status.PENDING)
        .select_related("organization")
        .first()
    )
    if pending is not None:
        raise AttachmentRefused(
            _(
                "У вас уже есть заявление на рассмотрении: %(organization)s. Отзовите его, "
                "чтобы выбрать другую организацию."
            )
            % {"organization": pending.organization.short_name}
        )
    if Attachment.objects.filter(
        patient=patient, organization=organization, status=Attachment.Status.ACCEPTED
    ).exists():
        raise AttachmentRefused(_("Вы уже прикреплены к этой медицинской организации."))
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(patient=patient, organization=organization)
    except IntegrityError as error:
        raise AttachmentRefused(_("У вас уже есть заявление на рассмотрении.")) from error
    record_event(
        action=CabinetAction.ATTACHMENT_REQUESTED,
        meta=meta,
        actor=patient.user,
        attachment=attachment.pk,
        organization=organization.oid,
        organization_name=organization.short_name,
    )
    return attachment


@transaction.atomic
def withdraw_attachment(*, patient: Patient, attachment_id: int, meta: RequestMeta) -> Attachment:
    """The patient withdraws their own pending request. Someone else's id is not found
    (Attachment.DoesNotExist), exactly as an id that does not exist."""
    attachment = (
        Attachment.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=attachment_id, patient=patient)
    )
    if not attachment.is_pending:
        raise AttachmentRefused(_("Это заявление уже рассмотрено, отозвать его нельзя."))
    attachment.status = Attachment.Status.WITHDRAWN
    attachment.decided_at = timezone.now()
    attachment.save(update_fields=["status", "decided_at"])
    record_event(
        action=CabinetAction.ATTACHMENT_WITHDRAWN,
        meta=meta,
        actor=patient.user,
        attachment=attachment.pk,
        organization=attachment.organization.oid,
        organization_name=attachment.organization.short_name,
    )
    return attachment


def _lock_pending(attachment_id: int, operator) -> Attachment:
    if not operator.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied
    attachment = (
        Attachment.objects.select_for_update(of=("self",))
        .select_related("organization", "patient__user")
        .get(pk=attachment_id)
    )
    if not attachment.is_pending:
        raise AttachmentRefused(
            _("Заявление уже не на рассмотрении (%(status)s).")
            % {"status": attachment.get_status_display()}
        )
    return attachment


@transaction.atomic
def accept_attachment(*, attachment_id: int, operator, meta: RequestMeta) -> Attachment:
    """The organisation accepts: the patient is attached here, and the attachment they had
    before ends. The patient is notified."""
    attachment = _lock_pending(attachment_id, operator)
    patient = attachment.patient
    now = timezone.now()
    previous = (
        Attachment.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(patient=patient, status=Attachment.Status.ACCEPTED)
    )
    for old in previous:
        old.status = Attachment.Status.ENDED
        old.ended_at = now
        old.reason = _("Принято прикрепление к организации «%(organization)s».") % {
            "organization": attachment.organization.short_name
        }
        old.save(update_fields=["status", "ended_at", "reason"])
        record_event(
            action=CabinetAction.ATTACHMENT_ENDED,
            meta=meta,
            actor=operator,
            subject=patient.user,
            attachment=old.pk,
            organization=old.organization.oid,
            organization_name=old.organization.short_name,
            replaced_by=attachment.pk,
        )
    attachment.status = Attachment.Status.ACCEPTED
    attachment.decided_at = now
    attachment.decided_by = operator
    attachment.save(update_fields=["status", "decided_at", "decided_by"])
    record_event(
        action=CabinetAction.ATTACHMENT_ACCEPTED,
        meta=meta,
        actor=operator,
        subject=patient.user,
        attachment=attachment.pk,
        organization=attachment.organization.oid,
        organization_name=attachment.organization.short_name,
    )
    notify_patient(
        patient=patient,
        kind=NotificationKind.ATTACHMENT_ACCEPTED,
        params={
            "organization": attachment.organization.short_name,
            "organization_full_name": attachment.organization.full_name,
            "address": attachment.organization.address,
        },
        link=reverse("organizations:policy"),
    )
    return attachment


@transaction.atomic
def reject_attachment(
    *, attachment_id: int, operator, reason: str, meta: RequestMeta
) -> Attachment:
    """The organisation refuses, saying why; the patient is notified with the reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise AttachmentRefused(_("Укажите причину отказа: её увидит пациент."))
    limit = Attachment._meta.get_field("reason").max_length
    if len(reason) > limit:
        raise AttachmentRefused(_("Причина отказа длиннее %(limit)d символов.") % {"limit": limit})
    attachment = _lock_pending(attachment_id, operator)
    attachment.status = Attachment.Status.REJECTED
    attachment.decided_at = timezone.now()
    attachment.decided_by = operator
    attachment.reason = reason
    attachment.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    record_event(
        action=CabinetAction.ATTACHMENT_REJECTED,
        meta=meta,
        actor=operator,
        subject=attachment.patient.user,
        attachment=attachment.pk,
        organization=attachment.organization.oid,
        organization_name=attachment.organization.short_name,
        reason=reason,
    )
    notify_patient(
        patient=attachment.patient,
        kind=NotificationKind.ATTACHMENT_REJECTED,
        params={"organization": attachment.organization.short_name, "reason": reason},
        link=reverse("organizations:policy"),
    )
    return attachment
