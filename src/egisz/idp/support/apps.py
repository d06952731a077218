from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "egisz.idp.support"
    label = "support"
    verbose_name = "Служба поддержки"
