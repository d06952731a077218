from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "egisz.cabinet.documents"
    label = "cabinet_documents"
    verbose_name = "Документы"

    def ready(self):
        from egisz.cabinet.documents.keyring import StoredFiles
        from egisz.common.keyring.registry import register_store

        register_store(StoredFiles())
