"""Corrections of what the cabinet may not let a patient edit directly (name, date of
birth): a request with an official document, decided by the cabinet operator's staff."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.patients.models import Patient

#: Patient fields a correction may change, in the order they are shown.
CORRECTABLE_FIELDS = {
    "last_name": _("Фамилия"),
    "first_name": _("Имя"),
    "middle_name": _("Отчество"),
    "birth_date": _("Дата рождения"),
}


class CorrectionRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("на рассмотрении")
        APPROVED = "approved", _("принято")
        REJECTED = "rejected", _("отклонено")

    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="correction_requests",
        verbose_name=_("пациент"),
    )
    # field -> new value (dates as ISO strings); only the fields the patient changed.
    changes = models.JSONField(_("новые значения"))
    # field -> the value when the request was filed, for the operator to compare.
    previous = models.JSONField(_("прежние значения"))
    document = models.ForeignKey(
        StoredDocument,
        on_delete=models.PROTECT,
        related_name="correction_requests",
        verbose_name=_("документ"),
    )
    comment = models.TextField(_("комментарий пациента"))
    status = models.CharField(
        _("статус"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("подано"), auto_now_add=True)
    decided_at = models.DateTimeField(_("рассмотрено"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто рассмотрел"),
    )
    reason = models.TextField(_("причина отказа"), blank=True)

    class Meta:
        verbose_name = _("заявление на исправление данных")
        verbose_name_plural = _("заявления на исправление данных")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="pending"),
                name="correction_one_pending_per_patient",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return str(_("Заявление №%(n)s") % {"n": self.pk})

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def new_values(self) -> list[list[str]]:
        """[field, after] for every changed field, dates as ДД.ММ.ГГГГ (a notice's data)."""
        return [
            [name, _display(name, self.changes[name])]
            for name in CORRECTABLE_FIELDS
            if name in self.changes
        ]

    def change_rows(self) -> list[tuple[str, str, str]]:
        """(label, before, after) for every changed field, dates as ДД.ММ.ГГГГ."""
        return [
            (
                str(label),
                _display(name, self.previous.get(name, "")),
                _display(name, self.changes[name]),
            )
            for name, label in CORRECTABLE_FIELDS.items()
            if name in self.changes
        ]


def _display(name: str, value) -> str:
    if not value:
        return "—"
    if name == "birth_date":
        year, month, day = str(value).split("-")
        return f"{day}.{month}.{year}"
    return str(value)
