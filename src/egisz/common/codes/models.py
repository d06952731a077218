from django.db import models
from django.utils.translation import gettext_lazy as _


class OneTimeCode(models.Model):
    """A code sent to a phone or e-mail for one purpose. Only its keyed hash is stored."""

    purpose = models.CharField(max_length=32)
    target = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    # Set when the code is used, replaced by a newer one, or burnt by wrong tries.
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set only when the right code was entered: such a code does not hold back the next.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("одноразовый код")
        verbose_name_plural = _("одноразовые коды")
        indexes = [models.Index(fields=["target", "purpose", "-created_at"], name="code_recent")]

    def __str__(self):
        return f"{self.purpose} → {self.target}"


class SmsBudgetCounter(models.Model):
    """How many SMS codes one budget against SMS pumping has spent in one time window (see
    budgets.py). Raised by ``count = count + 1`` in SQL, so every process of the site
    shares one exact count."""

    scope = models.CharField(_("бюджет"), max_length=16)
    key = models.CharField(_("ключ"), max_length=64)
    window_start = models.DateTimeField(_("начало периода"))
    window_end = models.DateTimeField(_("конец периода"), db_index=True)
    count = models.PositiveIntegerField(_("отправлено"), default=0)

    class Meta:
        verbose_name = _("счётчик SMS-кодов")
        verbose_name_plural = _("счётчики SMS-кодов")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="sms_budget_one_per_window"
            )
        ]

    def __str__(self):
        return f"{self.scope}:{self.key} {self.window_start:%Y-%m-%d %H:%M} → {self.count}"
