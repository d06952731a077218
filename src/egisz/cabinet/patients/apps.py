from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "egisz.cabinet.patients"
    label = "cabinet_patients"
    verbose_name = "Пациенты"
