"""Which keys the site's stored values are encrypted with (rotate-field-key --check)."""

from collections import Counter
from dataclasses import dataclass

from egisz.common.keyring.registry import encrypted_stores


@dataclass(frozen=True)
class StoreUsage:
    label: str
    key_ids: Counter  # key id → values; None counts values that are gone (a missing file)


def field_key_usage() -> list[StoreUsage]:
    usage = []
    for store in encrypted_stores():
        counter = Counter()
        for row in store.rows().order_by("pk").iterator(chunk_size=500):
            counter.update(store.key_ids(row))
        usage.append(StoreUsage(label=store.label, key_ids=counter))
    return usage
