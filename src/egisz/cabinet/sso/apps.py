from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "egisz.cabinet.sso"
    label = "cabinet_sso"
    verbose_name = "Вход через Госуслуги"
