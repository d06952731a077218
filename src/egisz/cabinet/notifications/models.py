from django.db import models
from django.utils.translation import gettext_lazy as _

from egisz.cabinet.notifications.kinds import NotificationKind, render
from egisz.cabinet.patients.models import Patient


class Notification(models.Model):
    """A notice in the cabinet (shown on «Главная»); SMS and e-mail copies go through the
    outbox according to the patient's preferences.

    Stored as a kind and its parameters; the title and text are rendered when read, in the
    reader's language (``kinds``). A notice stored before the kinds existed is of kind
    «legacy» and shows the text it was stored with."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("пациент")
    )
    event = models.CharField(_("событие"), max_length=32)
    kind = models.CharField(_("вид"), max_length=32, choices=NotificationKind.choices)
    params = models.JSONField(_("параметры"), default=dict, blank=True)
    legacy_title = models.CharField(_("заголовок прежнего вида"), max_length=200, blank=True)
    legacy_body = models.TextField(_("текст прежнего вида"), blank=True)
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

    def rendered(self) -> tuple[str, str]:
        """(title, text) in the active language."""
        if self.kind == NotificationKind.LEGACY:
            return self.legacy_title, self.legacy_body
        return render(self.kind, self.params)

    @property
    def title(self) -> str:
        return self.rendered()[0]

    @property
    def body(self) -> str:
        return self.rendered()[1]


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
