from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "egisz.cabinet.organizations"
    label = "cabinet_organizations"
    verbose_name = "Медицинские организации"

    def ready(self):
        from egisz.cabinet.patients.activity import register_activity_labels

        register_activity_labels(ACTIVITY_LABELS)


#: The words of this app's audit actions in the citizen's «журнал активности».
ACTIVITY_LABELS = {
    "cabinet.policy_saved": _("Сохранены данные полиса ОМС"),
    "cabinet.attachment_requested": _("Подано заявление о прикреплении"),
    "cabinet.attachment_withdrawn": _("Отозвано заявление о прикреплении"),
    "cabinet.attachment_accepted": _("Прикрепление принято медицинской организацией"),
    "cabinet.attachment_rejected": _("Прикрепление отклонено медицинской организацией"),
    "cabinet.attachment_ended": _("Прежнее прикрепление прекращено"),
}
