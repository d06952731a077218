from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", _("e-mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("ожидает отправки")
        SENDING = "sending", _("отправляется")
        SENT = "sent", _("отправлено")
        FAILED = "failed", _("не доставлено")

    channel = models.CharField(_("канал"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("получатель"), max_length=254)
    subject = models.CharField(_("тема"), max_length=200, blank=True)
    body = models.TextField(_("текст"))
    status = models.CharField(
        _("состояние"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    next_attempt_at = models.DateTimeField(_("следующая попытка"))
    # A worker that claims the message holds it until this moment; a worker killed mid-send
    # leaves it, and the message is claimed again once it is over.
    lease_until = models.DateTimeField(_("занято до"), null=True, blank=True)
    # An attempt was claimed and never recorded (its worker died): the recipient may have
    # received the message already and gets it again.
    possible_duplicate = models.BooleanField(_("возможен повтор"), default=False)
    last_error = models.CharField(_("последняя ошибка"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("отправлено"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("уведомление")
        verbose_name_plural = _("исходящие уведомления")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbox_due",
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient}"
