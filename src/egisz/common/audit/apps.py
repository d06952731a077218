from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "egisz.common.audit"
    label = "audit"
    verbose_name = "Журнал безопасности"
