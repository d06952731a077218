"""The stored files as a store of the field-encryption key ring (egisz.common.keyring):
``rotate-field-key`` goes through the documents' rows and rewrites each blob that is not
under the current key, with the row locked."""

from egisz.cabinet.documents import storage
from egisz.cabinet.documents.models import StoredDocument
from egisz.common.keyring.registry import RotationError


class StoredFiles:
    label = "cabinet_documents.StoredDocument (files)"

    def rows(self):
        return StoredDocument._base_manager.only("pk", "storage_name")

    def pending(self, current_id: str):
        # A blob's key id is in the file, not in the row: every row is looked at.
        return self.rows()

    def key_ids(self, row) -> list[str | None]:
        try:
            return [storage.blob_key_id(row.storage_name)]
        except storage.BlobMissing:
            return [None]

    def rotate(self, row) -> int:
        try:
            return int(storage.reencrypt_blob(row.storage_name))
        except storage.BlobMissing as exc:
            raise RotationError(f"the file {row.storage_name} is missing") from exc
