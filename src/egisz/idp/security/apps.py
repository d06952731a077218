from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "egisz.idp.security"
    label = "security"
    verbose_name = "Безопасность учётной записи"
