"""Reads of the directory, the policy and attachments."""

from dataclasses import dataclass

from django.db.models import QuerySet

from egisz.cabinet.organizations.models import (
    Attachment,
    InsurancePolicy,
    MedicalOrganization,
    search_key,
)
from egisz.common.regions import REGIONS

LIST_FIELDS = (
    "id",
    "oid",
    "short_name",
    "kind",
    "region",
    "address",
    "phone",
    "hours",
)


def search_organizations(*, query: str = "", region: str = "", kind: str = "") -> QuerySet:
    """Working organisations matching the name (full or short, any case, «ё» = «е»), the
    region code and the type; each filter is skipped when empty."""
    organizations = MedicalOrganization.objects.filter(is_active=True).only(*LIST_FIELDS)
    for word in search_key(query).split()[:8]:
        organizations = organizations.filter(search_text__contains=word)
    if region:
        organizations = organizations.filter(region=region)
    if kind:
        organizations = organizations.filter(kind=kind)
    return organizations.order_by("short_name", "id")


def directory_regions() -> list[tuple[str, str]]:
    """The regions that have working organisations, by name, for the region select."""
    codes = (
        MedicalOrganization.objects.filter(is_active=True)
        .order_by()
        .values_list("region", flat=True)
        .distinct()
    )
    return sorted(((code, REGIONS[code]) for code in codes if code in REGIONS), key=lambda c: c[1])


def policy_of(patient) -> InsurancePolicy | None:
    return InsurancePolicy.objects.filter(patient=patient).first()


def attachments_of(patient) -> QuerySet:
    """The patient's own requests, newest first."""
    return (
        Attachment.objects.filter(patient=patient)
        .select_related("organization")
        .order_by("-requested_at", "-id")
    )


@dataclass(frozen=True)
class AttachmentStatus:
    """Where the patient stands: their policy, current attachment, pending request, and the
    last decision they may not have seen yet (a refusal)."""

    policy: InsurancePolicy | None
    accepted: Attachment | None
    pending: Attachment | None
    last_rejected: Attachment | None
    history: list[Attachment]


def attachment_status(patient) -> AttachmentStatus:
    # A patient files a handful of requests in years: the whole history is one small query.
    history = list(attachments_of(patient))
    accepted = next((a for a in history if a.status == Attachment.Status.ACCEPTED), None)
    pending = next((a for a in history if a.status == Attachment.Status.PENDING), None)
    latest = history[0] if history else None
    last_rejected = latest if latest and latest.status == Attachment.Status.REJECTED else None
    return AttachmentStatus(policy_of(patient), accepted, pending, last_rejected, history)


def relation_to(patient, organization) -> str:
    """How the patient stands towards one organisation: "accepted", "pending" or ""."""
    status = (
        Attachment.objects.filter(
            patient=patient,
            organization=organization,
            status__in=[Attachment.Status.ACCEPTED, Attachment.Status.PENDING],
        )
        .values_list("status", flat=True)
        .first()
    )
    return status or ""


def pending_queue() -> QuerySet:
    """Requests waiting for a decision, oldest first (the operator's list)."""
    return (
        Attachment.objects.filter(status=Attachment.Status.PENDING)
        .select_related("organization", "patient")
        .order_by("requested_at", "id")
    )
