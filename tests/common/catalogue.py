"""English words for messages the English catalogue does not have yet (it is updated once
all branches are merged), so a test can see a text follow the reader's language."""

from contextlib import contextmanager

from django.utils.translation import trans_real


@contextmanager
def english(entries: dict[str, str]):
    catalogue = trans_real.translation("en")._catalog._catalogs[0]
    saved = {msgid: catalogue[msgid] for msgid in entries if msgid in catalogue}
    catalogue.update(entries)
    try:
        yield
    finally:
        for msgid in entries:
            catalogue.pop(msgid, None)
        catalogue.update(saved)
