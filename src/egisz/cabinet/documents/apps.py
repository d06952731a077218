from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "egisz.cabinet.documents"
    label = "cabinet_documents"
    verbose_name = "Документы"
