from django.db import models
from django.utils.translation import gettext_lazy as _

from egisz.cabinet.patients.models import Patient


class Notification(models.Model):
    """A notice in the cabinet (shown on «Главная»); SMS and e-mail copies go through the
    outbox according to the patient's preferences."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("пациент")
    )
    event = models.CharField(_("событие"), max_length=32)
    title = models.CharField(_("заголовок"), max_length=200)
    body = models.TextField(_("текст"), blank=True)
    link = models.CharField(_("ссылка"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    read_at = models.DateTimeField(_("прочитано"), null=True, blank=True)

    class Meta:
        verbose_name = _("уведомление")
        verbose_name_plural = _("уведомления")
        indexes = [
            models.Index(fields=["patient", "read_at", "-created_at"], name="notification_inbox")
        ]

    def __str__(self):
        return self.title


class Preference(models.Model):
    """Whether ``event`` goes out on ``channel``; no row means the event's default."""

    patient = models.ForeignKey(
        Patient,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("пациент"),
    )
    event = models.CharField(_("событие"), max_length=32)
    channel = models.CharField(_("канал"), max_length=8)
    enabled = models.BooleanField(_("включено"))

    class Meta:
        verbose_name = _("настройка уведомлений")
        verbose_name_plural = _("настройки уведомлений")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "event", "channel"], name="preference_unique"
            )
        ]

    def __str__(self):
        return f"{self.event}/{self.channel}: {self.enabled}"
