from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfileConfig(AppConfig):
    name = "egisz.cabinet.profile"
    label = "cabinet_profile"
    verbose_name = "Профиль"

    def ready(self):
        from egisz.cabinet.patients.activity import register_activity_labels

        register_activity_labels(
            {
                "cabinet.profile_saved": _("Сохранены данные профиля"),
                "cabinet.profile_completed": _("Профиль заполнен"),
                "cabinet.correction_filed": _(
                    "Подано заявление на исправление ФИО или даты рождения"
                ),
                "cabinet.correction_approved": _("Заявление на исправление данных принято"),
                "cabinet.correction_rejected": _("Заявление на исправление данных отклонено"),
            }
        )
