from django.apps import AppConfig


class ProfileConfig(AppConfig):
    name = "egisz.cabinet.profile"
    label = "cabinet_profile"
    verbose_name = "Профиль"
