"""The directory of medical organisations (ФРМО-like), the patient's ОМС policy and their
attachment (прикрепление) to a primary-care organisation."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egisz.cabinet.patients.models import Patient
from egisz.common.identifiers import format_enp
from egisz.common.regions import REGION_CHOICES, region_name

from .phones import format_landline


def search_key(text: str) -> str:
    """What a name is searched by: case-folded, «ё» read as «е», spaces collapsed.

    Kept in its own column because SQLite's LIKE folds only ASCII letters: a case-blind
    search of Cyrillic names must not depend on the database.
    """
    return " ".join((text or "").casefold().replace("ё", "е").split())


class MedicalOrganization(models.Model):
    """One medical organisation as the federal register (ФРМО) describes it."""

    class Kind(models.TextChoices):
        POLYCLINIC = "polyclinic", _("поликлиника")
        CHILDREN_POLYCLINIC = "children_polyclinic", _("детская поликлиника")
        HOSPITAL = "hospital", _("больница")
        DISPENSARY = "dispensary", _("диспансер")
        DENTAL = "dental", _("стоматологическая поликлиника")
        WOMENS_CLINIC = "womens_clinic", _("женская консультация")
        MATERNITY = "maternity", _("родильный дом")
        FAP = "fap", _("фельдшерско-акушерский пункт (ФАП)")

    oid = models.CharField(_("OID в ФРМО"), max_length=100, unique=True)
    full_name = models.CharField(_("полное наименование"), max_length=500)
    short_name = models.CharField(_("краткое наименование"), max_length=255)
    kind = models.CharField(_("тип"), max_length=32, choices=Kind.choices)
    region = models.CharField(_("регион"), max_length=2, choices=REGION_CHOICES)
    address = models.CharField(_("адрес"), max_length=500)
    phone = models.CharField(_("телефон"), max_length=16, blank=True)
    hours = models.CharField(_("часы работы"), max_length=255, blank=True)
    is_active = models.BooleanField(_("действует"), default=True)
    # search_key(short_name + full_name), maintained by save() and the import. Searched
    # with LIKE '%word%' among the rows the region/type index leaves.
    search_text = models.CharField(max_length=760, editable=False, default="")
    created_at = models.DateTimeField(_("добавлена"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменена"), auto_now=True)

    class Meta:
        verbose_name = _("медицинская организация")
        verbose_name_plural = _("медицинские организации")
        ordering = ["short_name", "id"]
        indexes = [
            models.Index(fields=["is_active", "region", "kind"], name="mo_active_region_kind"),
            models.Index(fields=["is_active", "short_name"], name="mo_active_name"),
        ]

    def __str__(self):
        return self.short_name

    def save(self, *args, **kwargs):
        self.search_text = self.compute_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def compute_search_text(self) -> str:
        return search_key(f"{self.short_name} | {self.full_name}")

    @property
    def region_name(self) -> str:
        return region_name(self.region)

    @property
    def phone_display(self) -> str:
        return format_landline(self.phone)


class InsurancePolicy(models.Model):
    """The patient's ОМС policy: the unified number (ЕНП) and the insurer (СМО)."""

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="policy", verbose_name=_("пациент")
    )
    enp = models.CharField(_("номер полиса ОМС (ЕНП)"), max_length=16, db_index=True)
    insurer = models.CharField(_("страховая медицинская организация"), max_length=255)
    created_at = models.DateTimeField(_("указан"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменён"), auto_now=True)

    class Meta:
        verbose_name = _("полис ОМС")
        verbose_name_plural = _("полисы ОМС")

    def __str__(self):
        return self.enp_display

    @property
    def enp_display(self) -> str:
        return format_enp(self.enp)


class Attachment(models.Model):
    """A patient's request to be attached to an organisation, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("на рассмотрении")
        ACCEPTED = "accepted", _("принято")
        REJECTED = "rejected", _("отклонено")
        WITHDRAWN = "withdrawn", _("отозвано")
        ENDED = "ended", _("прекращено")

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("пациент")
    )
    organization = models.ForeignKey(
        MedicalOrganization,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("медицинская организация"),
    )
    status = models.CharField(
        _("статус"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("подано"), auto_now_add=True)
    decided_at = models.DateTimeField(_("рассмотрено"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто рассмотрел"),
    )
    ended_at = models.DateTimeField(_("прекращено"), null=True, blank=True)
    reason = models.CharField(_("причина"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("прикрепление")
        verbose_name_plural = _("прикрепления")
        ordering = ["-requested_at", "-id"]
        permissions = [("decide_attachment", _("Может принимать и отклонять прикрепление"))]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="pending"),
                name="attachment_one_pending_per_patient",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="accepted"),
                name="attachment_one_accepted_per_patient",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="attachment_queue")]

    def __str__(self):
        return f"{self.patient} → {self.organization} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
