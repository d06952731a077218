from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "egisz.common.codes"
    label = "codes"
    verbose_name = "Одноразовые коды"
