from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.documents.services import store_document
from egisz.common.identifiers import INN12_WEIGHTS_1, INN12_WEIGHTS_2
from tests.cabinet.documents.files import pdf_bytes, upload


def valid_inn(first_ten: str = "7707083893") -> str:
    def digit(digits, weights):
        return str(sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)

    eleven = first_ten + digit(first_ten, INN12_WEIGHTS_1)
    return eleven + digit(eleven, INN12_WEIGHTS_2)


def wrong_inn() -> str:
    inn = valid_inn()
    return inn[:-1] + str((int(inn[-1]) + 1) % 10)


def give_scans(patient, meta, kinds=("passport", "snils")):
    return {
        kind: store_document(
            patient=patient, kind=kind, upload=upload(f"{kind}.pdf", pdf_bytes(1)), meta=meta
        )
        for kind in kinds
    }


def complete_profile(patient, meta):
    """Everything the profile needs, through the real services."""
    from egisz.cabinet.profile.services import save_profile

    give_scans(patient, meta)
    return save_profile(
        patient=patient, inn=valid_inn(), workplace="ГБОУ Школа № 1", scans={}, meta=meta
    )


KINDS = StoredDocument.Kind
