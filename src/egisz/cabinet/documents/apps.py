from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "egisz.cabinet.documents"
    label = "cabinet_documents"
    verbose_name = "Документы"

    def ready(self):
        from egisz.cabinet.documents.keyring import StoredFiles
        from egisz.cabinet.patients.activity import register_activity_labels
        from egisz.common.keyring.registry import register_store

        register_store(StoredFiles())

        register_activity_labels(
            {
                "cabinet.document_uploaded": _("Загружен документ"),
                "cabinet.document_downloaded": _("Скачан документ"),
                "cabinet.document_viewed_by_staff": _("Оператор открыл ваш документ"),
            }
        )
