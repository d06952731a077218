from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "egisz.cabinet.organizations"
    label = "cabinet_organizations"
    verbose_name = "Медицинские организации"
