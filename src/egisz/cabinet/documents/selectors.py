"""Reads of stored documents: always through the patient, so nobody reaches another's."""

from egisz.cabinet.documents.models import StoredDocument


def current_documents(*, patient) -> dict[str, StoredDocument]:
    """The patient's current document of each versioned kind (kind -> document)."""
    rows = StoredDocument.objects.filter(
        patient=patient,
        kind__in=StoredDocument.VERSIONED_KINDS,
        archived_at__isnull=True,
    )
    return {document.kind: document for document in rows}


def patient_documents(*, patient):
    """Every document of the patient, archived versions included, newest first."""
    return StoredDocument.objects.filter(patient=patient)
