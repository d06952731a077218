from django.apps import AppConfig


class FlowConfig(AppConfig):
    name = "egisz.common.flow"
    label = "flow"
    verbose_name = "Вход и шаги входа"
