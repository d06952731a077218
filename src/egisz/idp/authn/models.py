import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egisz.common.keyring.fields import EncryptedTextField


class Method(models.TextChoices):
    """How a login was (or was attempted to be) completed: the journal's «способ входа»."""

    PASSWORD = "pwd", _("пароль")
    PASSWORD_SMS = "pwd+sms", _("пароль и код из SMS")
    PASSWORD_TOTP = "pwd+otp", _("пароль и код из приложения")
    PASSWORD_RECOVERY = "pwd+rc", _("пароль и резервный код")
    # The account was created a moment ago: the phone proven by its SMS code.
    REGISTRATION = "reg+sms", _("регистрация с кодом из SMS")


class LoginAttempt(models.Model):
    """One line of the citizen's login journal."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("успешный вход")
        BAD_PASSWORD = "bad_password", _("неверный пароль")
        BAD_CODE = "bad_code", _("неверный одноразовый код")
        LOCKED = "locked", _("учётная запись заблокирована")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_attempts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    result = models.CharField(max_length=16, choices=Result.choices)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("попытка входа")
        verbose_name_plural = _("журнал входов")
        indexes = [models.Index(fields=["account", "-created_at"], name="journal_recent")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.result}"


def new_sid_key() -> str:
    return secrets.token_urlsafe(32)


class AccountSession(models.Model):
    """A logged-in browser session, listed in «Управление сеансами»."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browser_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    started_at = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The services this session logged in to know it by a `sid` of their own, derived
    # from this random key (egisz.idp.oidc.subjects.sid_for): stable for the session,
    # unrelated to the session cookie, and different at each service.
    sid_key = models.CharField(
        _("ключ идентификаторов сеанса для сервисов"),
        max_length=64,
        unique=True,
        default=new_sid_key,
        editable=False,
    )

    class Meta:
        ordering = ["-last_activity"]
        verbose_name = _("сеанс")
        verbose_name_plural = _("сеансы")
        # The worker looks for sessions that are idle or past their lifetime every round.
        indexes = [
            models.Index(
                fields=["last_activity"],
                condition=models.Q(ended_at__isnull=True),
                name="live_session_activity",
            ),
            models.Index(
                fields=["started_at"],
                condition=models.Q(ended_at__isnull=True),
                name="live_session_start",
            ),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.ip} ({self.started_at:%Y-%m-%d %H:%M})"


class KnownBrowser(models.Model):
    """A browser that has completed a login to this account (by its device cookie)."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_browsers"
    )
    device_hash = models.CharField(max_length=64)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("известный браузер")
        verbose_name_plural = _("известные браузеры")
        constraints = [
            models.UniqueConstraint(fields=["account", "device_hash"], name="known_browser_once")
        ]

    def __str__(self):
        return f"{self.account_id}: {self.device_hash[:8]}"


class TotpDevice(models.Model):
    """An authenticator app (RFC 6238). Active only after its first code is confirmed."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    encrypted_secret = EncryptedTextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code is never accepted twice.
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("приложение-аутентификатор")
        verbose_name_plural = _("приложения-аутентификаторы")

    def __str__(self):
        return f"TOTP {self.account_id}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A single-use code that replaces the app's code when the phone with it is lost."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=256)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("резервный код")
        verbose_name_plural = _("резервные коды")

    def __str__(self):
        return f"recovery code {self.pk} of {self.account_id}"
