from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "egisz.common.ui"
    label = "ui"
