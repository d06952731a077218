"""The provider's tokens kept for a cabinet session move to the ring's current key with
`egisz cabinet rotate-field-key`; the session keeps refreshing them after the old key has
left the ring, and a refresh that read the row before the rotation still happens."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from egisz.cabinet.patients.models import Patient
from egisz.cabinet.sso import services
from egisz.cabinet.sso.models import ProviderGrant
from tests.field_keys import new_key, rotate

KEY_A, KEY_B = new_key(), new_key()
ABOUT = "/about/"

pytestmark = pytest.mark.django_db


def test_after_the_rotation_the_session_refreshes_its_tokens_with_the_new_key_only(
    client, provider, login_through_provider, grant_check, field_key_ring
):
    field_key_ring(("2026a", KEY_A))
    login_through_provider()
    Patient.objects.update(profile_completed_at=timezone.now())
    grant = ProviderGrant.objects.get()
    assert grant.refresh_token_encrypted.startswith("2026a:")
    old_refresh = grant.refresh_token

    field_key_ring(("2026b", KEY_B), ("2026a", KEY_A))
    assert "Перешифровано значений: 2 (ключ 2026b)" in rotate()
    field_key_ring(("2026b", KEY_B))
    grant.refresh_from_db()
    assert grant.access_token_encrypted.startswith("2026b:")
    assert grant.refresh_token == old_refresh

    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert client.get(ABOUT).status_code == 200  # the expired access token is refreshed
    assert provider.token_grant_types()[-1] == "refresh_token"
    grant.refresh_from_db()
    assert grant.refresh_token in provider.refresh_tokens and grant.refresh_token != old_refresh


def test_a_refresh_that_read_the_grant_before_the_rotation_still_refreshes(
    provider, login_through_provider, field_key_ring
):
    """The row's ciphertext changed under it, its tokens did not: nothing was refreshed
    meanwhile, so this refresh is not skipped as already done."""
    field_key_ring(("2026a", KEY_A))
    login_through_provider()
    seen = ProviderGrant.objects.get()
    field_key_ring(("2026b", KEY_B), ("2026a", KEY_A))
    rotate()

    assert services._refresh_grant(seen, now=timezone.now()) == services.GRANT_REFRESHED
    assert provider.token_grant_types().count("refresh_token") == 1
    grant = ProviderGrant.objects.get()
    assert grant.access_token != seen.access_token
