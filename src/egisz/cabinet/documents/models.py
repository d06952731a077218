"""Documents a patient uploaded: the metadata here, the encrypted bytes in storage.py."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egisz.cabinet.patients.models import Patient


class StoredDocument(models.Model):
    """One version of one document. Uploading a document of a versioned kind again makes
    the new one current and archives the previous (archived_at set); nothing is deleted."""

    class Kind(models.TextChoices):
        PASSPORT = "passport", _("Паспорт")
        SNILS = "snils", _("СНИЛС")
        EMPLOYMENT_RECORD = "employment_record", _("Трудовая книжка")
        CORRECTION_EVIDENCE = "correction_evidence", _("Документ для исправления данных")

    # Kinds with one current version per patient; evidence belongs to its own request.
    VERSIONED_KINDS = (Kind.PASSPORT, Kind.SNILS, Kind.EMPLOYMENT_RECORD)

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="documents", verbose_name=_("пациент")
    )
    kind = models.CharField(_("вид документа"), max_length=32, choices=Kind.choices)
    original_name = models.CharField(_("имя файла"), max_length=255)
    content_type = models.CharField(_("тип содержимого"), max_length=64)
    size = models.PositiveIntegerField(_("размер, байт"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    pages = models.PositiveIntegerField(_("страниц"), default=1)
    storage_name = models.CharField(_("имя в хранилище"), max_length=64, unique=True)
    uploaded_at = models.DateTimeField(_("загружен"), default=timezone.now)
    archived_at = models.DateTimeField(_("в архиве с"), null=True, blank=True)

    class Meta:
        verbose_name = _("документ")
        verbose_name_plural = _("документы")
        ordering = ("-uploaded_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind"],
                condition=Q(archived_at__isnull=True)
                & Q(kind__in=["passport", "snils", "employment_record"]),
                name="document_one_current_per_kind",
            )
        ]
        indexes = [models.Index(fields=["patient", "kind", "archived_at"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.original_name}"

    @property
    def is_current(self) -> bool:
        return self.archived_at is None
