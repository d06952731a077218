"""Every place a site keeps values encrypted with the field-encryption key ring.

Columns are found by their type: each EncryptedTextField of an installed model, so a new
model's secrets are rotated without being listed anywhere. Stores outside the database
(the cabinet's stored files) register themselves from their app's ready().

A store goes through rows of one model, in primary-key order:
- ``label``: how the operator sees it in the command's output;
- ``rows()``: the rows holding its values;
- ``pending(current_id)``: the rows that may still hold a value under another key (the
  rotation locks and rewrites only those, so a resumed run skips the done ones cheaply);
- ``key_ids(row)``: the key id of each value of the row (None for a value that is gone);
- ``rotate(row)``: re-encrypts the row's values that are not under the current key and
  returns how many it rewrote; RotationError when one cannot be (the run goes on).
"""

from dataclasses import dataclass
from typing import Protocol

from django.apps import apps
from django.db import models
from django.db.models import Q

from egisz.common.crypto import SEPARATOR, key_id_of, reencrypt_text
from egisz.common.keyring.fields import EncryptedTextField


class RotationError(Exception):
    """A value of a store cannot be re-encrypted (e.g. its file is gone)."""


class EncryptedStore(Protocol):
    label: str

    def rows(self) -> models.QuerySet: ...

    def pending(self, current_id: str) -> models.QuerySet: ...

    def key_ids(self, row) -> list[str | None]: ...

    def rotate(self, row) -> int: ...


@dataclass(frozen=True)
class EncryptedColumns:
    """The EncryptedTextField columns of one model."""

    model: type[models.Model]
    fields: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.model._meta.label} ({', '.join(self.fields)})"

    def rows(self) -> models.QuerySet:
        return self.model._base_manager.only("pk", *self.fields)

    def pending(self, current_id: str) -> models.QuerySet:
        under_another_key = Q()
        for field in self.fields:
            done = Q(**{f"{field}__startswith": current_id + SEPARATOR}) | Q(**{field: ""})
            under_another_key |= ~done
        return self.rows().filter(under_another_key)

    def key_ids(self, row) -> list[str | None]:
        return [key_id_of(value) for field in self.fields if (value := getattr(row, field))]

    def rotate(self, row) -> int:
        changed = []
        for field in self.fields:
            value = getattr(row, field)
            rotated = reencrypt_text(value) if value else None
            if rotated is not None:
                setattr(row, field, rotated)
                changed.append(field)
        if changed:
            row.save(update_fields=changed)
        return len(changed)


_registered: dict[str, EncryptedStore] = {}


def register_store(store: EncryptedStore) -> None:
    """Adds a store that is not an EncryptedTextField column (call it from ready())."""
    _registered[store.label] = store


def encrypted_columns() -> list[EncryptedColumns]:
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = tuple(
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField)
        )
        if fields:
            found.append(EncryptedColumns(model, fields))
    return found


def encrypted_stores() -> list[EncryptedStore]:
    """Every store of the site, in a stable order."""
    return sorted([*encrypted_columns(), *_registered.values()], key=lambda store: store.label)
