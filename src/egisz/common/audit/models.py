from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk UPDATE and DELETE bypass the model's save() and delete(): refuse them too."""

    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")

    def bulk_update(self, objs, fields, batch_size=None):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """One security-relevant event. Rows are never updated or deleted (on PostgreSQL a
    trigger refuses it; elsewhere the model does)."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("успешно")
        FAILURE = "failure", _("отказ")

    created_at = models.DateTimeField(_("время"), auto_now_add=True, db_index=True)
    action = models.CharField(_("действие"), max_length=64, db_index=True)
    result = models.CharField(_("результат"), max_length=16, choices=Result.choices)
    # Actor and subject are kept as plain identifiers: the journal outlives the rows
    # it mentions, and common/ knows nothing of either site's models.
    actor_id = models.CharField(_("кто"), max_length=64, blank=True, db_index=True)
    subject_id = models.CharField(_("чья запись"), max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP-адрес"), null=True, blank=True)
    user_agent = models.CharField(_("браузер"), max_length=512, blank=True)
    details = models.JSONField(_("подробности"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("событие безопасности")
        verbose_name_plural = _("журнал безопасности")
        indexes = [models.Index(fields=["subject_id", "-created_at"], name="audit_subject_recent")]

    def __str__(self):
        when = (
            f"{timezone.localtime(self.created_at):%d.%m.%Y %H:%M:%S} " if self.created_at else ""
        )
        return f"{when}{self.action}: {self.get_result_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")
