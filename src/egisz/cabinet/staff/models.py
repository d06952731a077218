"""What the cabinet keeps about a member of the operator's staff besides Django's user."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from egisz.common.identifiers import format_phone


class StaffProfile(models.Model):
    """The staff member's mobile phone: the operator console's login sends its one-time
    code there (E.164, normalised by services.set_staff_phone). Without a phone the console
    refuses the login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        limit_choices_to={"is_staff": True},
        verbose_name=_("сотрудник"),
    )
    phone = models.CharField(
        _("мобильный телефон для кодов"),
        max_length=16,
        blank=True,
        help_text=_("На этот номер приходит код для входа в консоль оператора."),
    )
    updated_at = models.DateTimeField(_("изменён"), auto_now=True)

    class Meta:
        verbose_name = _("телефон сотрудника")
        verbose_name_plural = _("телефоны сотрудников")
        constraints = [
            # One phone, one member of staff: the code goes to the phone, not to the person.
            models.UniqueConstraint(
                fields=["phone"], condition=~models.Q(phone=""), name="staff_phone_unique"
            )
        ]

    def __str__(self):
        return f"{self.user.get_username()}: {format_phone(self.phone) or '—'}"
