"""Words for the citizen's own «журнал активности».

The journal shows the patient's events from the audit journal (egisz.common.audit). Each
app names its own actions in Russian: it calls ``register_activity_labels({...})`` from its
``AppConfig.ready()``. An action nobody named is shown as «Действие в кабинете».
"""

from django.utils.translation import gettext_lazy as _

#: action (audit event name) -> what happened, in the citizen's words.
ACTIVITY_LABELS: dict = {
    "cabinet.login": _("Вход в кабинет"),
    "cabinet.patient_created": _("Первый вход в кабинет"),
    "cabinet.logout": _("Выход из кабинета"),
    "cabinet.notification_preferences_changed": _("Изменены настройки уведомлений"),
    "cabinet.phone_change_code_sent": _("Запрошен код для смены телефона"),
    "cabinet.phone_changed": _("Изменён мобильный телефон"),
    "cabinet.email_change_code_sent": _("Запрошен код для смены электронной почты"),
    "cabinet.email_changed": _("Изменена электронная почта"),
    "cabinet.address_change_code_sent": _("Запрошен код для изменения адреса"),
    "cabinet.address_changed": _("Изменён адрес"),
    "cabinet.change_code_rejected": _("Код подтверждения не принят"),
}

DEFAULT_LABEL = _("Действие в кабинете")


def register_activity_labels(mapping: dict) -> None:
    """Add (or replace) the words for some actions; called from AppConfig.ready()."""
    ACTIVITY_LABELS.update(mapping)


def activity_label(action: str):
    return ACTIVITY_LABELS.get(action, DEFAULT_LABEL)
