from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AttemptLock(models.Model):
    """Failed attempts with one key (an identifier as normalised, a username), whether or
    not an account has it: see flow/lockout.py."""

    # A keyed hash of what was typed: the table holds no identifiers.
    key = models.CharField(_("ключ"), max_length=64, unique=True)
    failures = models.PositiveSmallIntegerField(_("неудачных попыток подряд"), default=0)
    last_failure_at = models.DateTimeField(_("последняя неудачная попытка"), null=True)
    locked_until = models.DateTimeField(_("заблокирован до"), null=True)
    updated_at = models.DateTimeField(_("изменён"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("блокировка входа")
        verbose_name_plural = _("блокировки входа")

    def __str__(self):
        return f"{self.key[:8]}: {self.failures}"
