from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "egisz.common.outbox"
    label = "outbox"
    verbose_name = "Исходящие уведомления"
