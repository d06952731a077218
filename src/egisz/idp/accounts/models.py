import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egisz.common.identifiers import format_passport, format_phone, format_snils


class Level(models.TextChoices):
    SIMPLIFIED = "simplified", _("упрощённая")
    STANDARD = "standard", _("стандартная")
    CONFIRMED = "confirmed", _("подтверждённая")


# The levels at which the СНИЛС has been checked (by the registry, or by an operator who saw
# the documents): only then is it the account's own, one account per СНИЛС, and a way in.
VERIFIED_LEVELS = (Level.STANDARD, Level.CONFIRMED)


class AccountManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone, password=None, **fields):
        account = self.model(phone=phone, **fields)
        account.set_password(password)
        account.save()
        return account

    def create_superuser(self, phone, password=None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(phone, password, **fields)


class Account(AbstractBaseUser, PermissionsMixin):
    """A citizen's (or operator's) account. The phone is the confirmed primary contact."""

    sub = models.UUIDField(_("идентификатор"), default=uuid.uuid4, unique=True, editable=False)
    last_name = models.CharField(_("фамилия"), max_length=60)
    first_name = models.CharField(_("имя"), max_length=60)
    middle_name = models.CharField(_("отчество"), max_length=60, blank=True)
    birth_date = models.DateField(_("дата рождения"), null=True, blank=True)
    # Unique only once checked (Meta.constraints): a СНИЛС or an e-mail someone merely typed
    # never keeps its real owner from registering. NULL, not "", when there is none.
    snils = models.CharField(_("СНИЛС"), max_length=11, null=True, blank=True, db_index=True)  # noqa: DJ001
    inn = models.CharField(_("ИНН"), max_length=12, blank=True)
    passport = models.CharField(_("серия и номер паспорта"), max_length=10, blank=True)
    phone = models.CharField(_("мобильный телефон"), max_length=16, unique=True)
    email = models.EmailField(_("электронная почта"), null=True, blank=True, db_index=True)  # noqa: DJ001
    email_confirmed = models.BooleanField(_("почта подтверждена"), default=False)

    level = models.CharField(
        _("уровень учётной записи"),
        max_length=16,
        choices=Level.choices,
        default=Level.SIMPLIFIED,
    )
    is_active = models.BooleanField(_("активна"), default=True)
    is_staff = models.BooleanField(_("сотрудник поддержки"), default=False)
    must_change_password = models.BooleanField(_("временный пароль"), default=False)
    date_joined = models.DateTimeField(_("дата регистрации"), default=timezone.now)

    objects = AccountManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["last_name", "first_name"]

    class Meta:
        verbose_name = _("учётная запись")
        verbose_name_plural = _("учётные записи")
        # Raising an account to «подтверждённая» is an operator's act of its own, separate
        # from editing the record.
        permissions = [("confirm_identity", _("Может подтверждать личность"))]
        constraints = [
            models.UniqueConstraint(
                fields=["snils"],
                condition=Q(level__in=VERIFIED_LEVELS),
                name="account_checked_snils_once",
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(email_confirmed=True),
                name="account_confirmed_email_once",
            ),
        ]

    def __str__(self):
        return self.full_name or self.phone

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def snils_display(self) -> str:
        return format_snils(self.snils or "")

    @property
    def passport_display(self) -> str:
        return format_passport(self.passport)

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)


class PendingRegistration(models.Model):
    """A filled-in registration form waiting for its SMS code. The account is created only
    when the phone is confirmed; the password is already hashed here."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phone = models.CharField(max_length=16, db_index=True)
    data = models.JSONField()
    password_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("незавершённая регистрация")
        verbose_name_plural = _("незавершённые регистрации")

    def __str__(self):
        return f"{self.phone} ({self.created_at:%Y-%m-%d %H:%M})"


class EmailConfirmation(models.Model):
    """A link sent to an e-mail address the account holder has to confirm."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("подтверждение электронной почты")
        verbose_name_plural = _("подтверждения электронной почты")

    def __str__(self):
        return f"{self.email} ({self.created_at:%Y-%m-%d %H:%M})"


class RegistryCheck(models.Model):
    """The background check of СНИЛС and passport against the official registry."""

    class Status(models.TextChoices):
        PENDING = "pending", _("проверяется")
        VERIFIED = "verified", _("данные подтверждены")
        REJECTED = "rejected", _("данные не совпали")
        ERROR = "error", _("реестр недоступен")

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="registry_checks",
        verbose_name=_("учётная запись"),
    )
    status = models.CharField(
        _("результат"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    next_attempt_at = models.DateTimeField(_("следующая попытка"), default=timezone.now)
    reason = models.CharField(_("причина"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("начата"), default=timezone.now)
    finished_at = models.DateTimeField(_("завершена"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("проверка в реестре")
        verbose_name_plural = _("проверки в реестре")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="registry_check_due")]

    def __str__(self):
        return f"{self.account}: {self.get_status_display()}"


class IdentityConfirmation(models.Model):
    """How and by whom a citizen's identity was confirmed (the «подтверждённая» level)."""

    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("лично в центре обслуживания")
        VIDEO = "video", _("видеоверификация")

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="confirmations",
        verbose_name=_("учётная запись"),
    )
    method = models.CharField(_("способ"), max_length=16, choices=Method.choices)
    operator = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("оператор")
    )
    note = models.CharField(_("примечание"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("время"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("подтверждение личности")
        verbose_name_plural = _("подтверждения личности")

    def __str__(self):
        return f"{self.account}: {self.get_method_display()}"


class DemoRegistryRecord(models.Model):
    """The demo stand-in for the official registry of СНИЛС and passports."""

    snils = models.CharField(_("СНИЛС"), max_length=11, unique=True)
    passport = models.CharField(_("серия и номер паспорта"), max_length=10)
    last_name = models.CharField(_("фамилия"), max_length=60)
    first_name = models.CharField(_("имя"), max_length=60)
    middle_name = models.CharField(_("отчество"), max_length=60, blank=True)
    birth_date = models.DateField(_("дата рождения"))

    class Meta:
        verbose_name = _("запись демо-реестра")
        verbose_name_plural = _("демо-реестр граждан")

    def __str__(self):
        return f"{self.last_name} {self.first_name} ({format_snils(self.snils)})"
