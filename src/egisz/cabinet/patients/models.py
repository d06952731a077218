"""The patient: a citizen known to the cabinet through the claims they consented to."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from egisz.common.identifiers import format_phone, format_snils


class Patient(models.Model):
    """One citizen of one identity provider (issuer + subject). Created at the first full
    login from the consented claims; the profile form fills in the rest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patient",
        verbose_name=_("пользователь"),
    )
    issuer = models.CharField(_("поставщик входа"), max_length=255)
    subject = models.CharField(_("идентификатор у поставщика"), max_length=255)
    level = models.CharField(_("уровень учётной записи"), max_length=32, blank=True)

    last_name = models.CharField(_("фамилия"), max_length=100)
    first_name = models.CharField(_("имя"), max_length=100)
    middle_name = models.CharField(_("отчество"), max_length=100, blank=True)
    birth_date = models.DateField(_("дата рождения"), null=True, blank=True)
    snils = models.CharField(_("СНИЛС"), max_length=11, blank=True, db_index=True)
    inn = models.CharField(_("ИНН"), max_length=12, blank=True)
    phone = models.CharField(_("мобильный телефон"), max_length=16, blank=True)
    email = models.EmailField(_("электронная почта"), blank=True)
    workplace = models.CharField(_("место работы или учёбы"), max_length=255, blank=True)

    created_at = models.DateTimeField(_("впервые вошёл"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("последний вход"), null=True, blank=True)
    profile_completed_at = models.DateTimeField(_("профиль заполнен"), null=True, blank=True)

    class Meta:
        verbose_name = _("пациент")
        verbose_name_plural = _("пациенты")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="patient_unique_subject")
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        parts = (self.last_name, self.first_name, self.middle_name)
        return " ".join(part for part in parts if part)

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone) if self.phone else ""

    @property
    def snils_display(self) -> str:
        return format_snils(self.snils) if self.snils else ""


class Address(models.Model):
    """A structured address: registration (прописка) or where the patient actually lives."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("адрес регистрации")
        ACTUAL = "actual", _("фактический адрес")

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("пациент")
    )
    kind = models.CharField(_("вид адреса"), max_length=16, choices=Kind.choices)
    postcode = models.CharField(_("индекс"), max_length=6)
    region = models.CharField(_("регион"), max_length=100)
    city = models.CharField(_("город или населённый пункт"), max_length=100)
    street = models.CharField(_("улица"), max_length=150)
    house = models.CharField(_("дом"), max_length=20)
    flat = models.CharField(_("квартира"), max_length=10, blank=True)
    updated_at = models.DateTimeField(_("изменён"), auto_now=True)

    class Meta:
        verbose_name = _("адрес")
        verbose_name_plural = _("адреса")
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind"], name="address_one_per_kind")
        ]

    def __str__(self):
        return self.display

    @property
    def display(self) -> str:
        # A federal city (Москва, Санкт-Петербург, Севастополь) is its own region: named once.
        city = "" if _place_name(self.city) == _place_name(self.region) else self.city
        parts = [self.postcode, self.region, city, self.street, self.house]
        if self.flat:
            parts.append(str(_("кв. %(flat)s") % {"flat": self.flat}))
        return ", ".join(part for part in parts if part)


def _place_name(name: str) -> str:
    """A city's or region's name without the «г.» before it, for comparing the two."""
    name = " ".join((name or "").split()).casefold().replace("ё", "е")
    for prefix in ("г. ", "г.", "город "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name
