"""On PostgreSQL: rotate-field-key locks each batch, so a grant refreshed while the rotation
runs keeps its new tokens (writing back the old refresh token, which the provider has
already rotated, would look like theft to it and end the session)."""

import threading

from django.db import connection, connections, transaction
from django.utils import timezone

from egisz.cabinet.sso.models import ProviderGrant
from egisz.common.keyring.services import rotate_field_key
from tests.cabinet.concurrency import POSTGRES_RACE
from tests.cabinet.conftest import ISSUER
from tests.field_keys import new_key

pytestmark = POSTGRES_RACE


def someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def in_thread(target) -> threading.Thread:
    def run():
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_grant_refreshed_during_the_rotation_keeps_its_new_tokens(patient, field_key_ring):
    key_a = new_key()
    field_key_ring(("2026a", key_a))
    grant = ProviderGrant(
        user=patient.user, issuer=ISSUER, subject="subject-1", checked_at=timezone.now()
    )
    grant.access_token, grant.refresh_token = "access-1", "refresh-1"
    grant.save()
    field_key_ring(("2026b", new_key()), ("2026a", key_a))
    locked, release = threading.Event(), threading.Event()

    def refresh():
        with transaction.atomic():
            row = ProviderGrant.objects.select_for_update().get(pk=grant.pk)
            locked.set()
            release.wait(30)
            row.access_token, row.refresh_token = "access-2", "refresh-2"
            row.save(update_fields=["access_token_encrypted", "refresh_token_encrypted"])

    refreshing = in_thread(refresh)
    assert locked.wait(30)
    rotating = in_thread(rotate_field_key)
    waited = threading.Event()
    for _ in range(600):  # until the rotation waits on the refresh's lock (30 s at most)
        if someone_waits_on_a_lock():
            break
        waited.wait(0.05)
    release.set()
    refreshing.join(30)
    rotating.join(30)

    grant.refresh_from_db()
    assert (grant.access_token, grant.refresh_token) == ("access-2", "refresh-2")
    assert grant.refresh_token_encrypted.startswith("2026b:")
