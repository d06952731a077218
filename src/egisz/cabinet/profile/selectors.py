"""Reads of the profile: how complete it is, and the patient's correction requests."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.documents.selectors import current_documents
from egisz.cabinet.profile.models import CorrectionRequest

PROFILE_PATH_NAME = "profile:complete"


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    done: bool
    link: str | None  # where the patient fills it in


@dataclass(frozen=True)
class Completeness:
    items: list[Item]
    percent: int
    complete: bool

    @property
    def missing(self) -> list[Item]:
        return [item for item in self.items if not item.done]

    @property
    def missing_labels(self) -> str:
        return ", ".join(item.label for item in self.missing)


def contact_change_url(url_name: str) -> str:
    """A contact-change page (patients app) that comes back to the profile."""
    return reverse(url_name) + "?next=" + reverse(PROFILE_PATH_NAME)


def profile_completeness(patient, *, documents: dict | None = None) -> Completeness:
    """Every item the profile needs (issue 4 and the seed's «Первый вход и заполнение
    профиля»), whether it is there, and where to fill it in."""
    if documents is None:
        documents = current_documents(patient=patient)
    profile = reverse(PROFILE_PATH_NAME)
    corrections = reverse("profile:corrections")
    kinds = StoredDocument.Kind
    items = [
        Item("full_name", _("ФИО"), bool(patient.last_name and patient.first_name), corrections),
        Item("birth_date", _("дата рождения"), patient.birth_date is not None, corrections),
        Item("snils", _("СНИЛС"), bool(patient.snils), settings.IDP_ACCOUNT_URL),
        Item("inn", _("ИНН"), bool(patient.inn), profile + "#id_inn"),
        Item(
            "phone",
            _("мобильный телефон"),
            bool(patient.phone),
            contact_change_url("patients:edit_phone"),
        ),
        Item(
            "email",
            _("электронная почта"),
            bool(patient.email),
            contact_change_url("patients:edit_email"),
        ),
        Item(
            "workplace",
            _("место работы или учёбы"),
            bool(patient.workplace),
            profile + "#id_workplace",
        ),
        Item(
            "passport_scan",
            _("скан паспорта"),
            kinds.PASSPORT in documents,
            profile + "#id_passport_scan",
        ),
        Item("snils_scan", _("скан СНИЛС"), kinds.SNILS in documents, profile + "#id_snils_scan"),
    ]
    done = sum(item.done for item in items)
    return Completeness(items=items, percent=done * 100 // len(items), complete=done == len(items))


def correction_requests(*, patient):
    """The patient's own correction requests, newest first."""
    return CorrectionRequest.objects.filter(patient=patient).select_related("document")


def pending_correction(*, patient) -> CorrectionRequest | None:
    return CorrectionRequest.objects.filter(
        patient=patient, status=CorrectionRequest.Status.PENDING
    ).first()
