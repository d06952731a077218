from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "egisz.cabinet.sso"
    label = "cabinet_sso"
    verbose_name = "Вход через Госуслуги"

    def ready(self):
        from egisz.cabinet.patients.activity import register_activity_labels
        from egisz.cabinet.sso.services import ACTIVITY_LABELS

        register_activity_labels(ACTIVITY_LABELS)
