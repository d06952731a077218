from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "egisz.cabinet.portal"
    label = "cabinet_portal"
    verbose_name = "Кабинет"
