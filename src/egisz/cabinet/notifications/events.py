"""Event types a patient is notified of, with the channels each may use. A later section
adds its events here; the settings page lists them all."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

SMS = "sms"
EMAIL = "email"
CHANNELS = {EMAIL: _("Электронная почта"), SMS: _("SMS")}


@dataclass(frozen=True)
class EventType:
    key: str
    label: str
    default_channels: frozenset[str]
    # Security notices go out whatever the preferences say (the form shows them fixed).
    mandatory: bool = False


EVENT_TYPES: dict[str, EventType] = {
    event.key: event
    for event in [
        EventType(
            "contacts",
            _("Изменение телефона, электронной почты или адреса"),
            frozenset({EMAIL, SMS}),
            mandatory=True,
        ),
        EventType(
            "attachment",
            _("Решение по прикреплению к медицинской организации"),
            frozenset({EMAIL, SMS}),
        ),
        EventType(
            "corrections", _("Решение по исправлению ФИО или даты рождения"), frozenset({EMAIL})
        ),
        EventType("profile", _("Профиль и полис ОМС"), frozenset({EMAIL})),
    ]
}
