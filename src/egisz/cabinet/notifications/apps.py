from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "egisz.cabinet.notifications"
    label = "cabinet_notifications"
    verbose_name = "Уведомления"
