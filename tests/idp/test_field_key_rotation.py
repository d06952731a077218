"""`egisz idp rotate-field-key`: TOTP seeds and private signing keys move to the ring's
current key, so the old key can leave the ring; an interrupted run is finished by the next
one; --check says how many values are under which key."""

import io
from unittest import mock

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import models
from django.test.utils import isolate_apps
from django.utils import timezone
from joserfc import jwt

from egisz.common.audit.models import AuditEvent
from egisz.common.crypto import DecryptionError
from egisz.common.keyring.checks import encrypted_columns_are_rotated, unmarked_columns
from egisz.common.keyring.registry import EncryptedColumns, encrypted_stores
from egisz.idp.authn import totp
from egisz.idp.authn.models import TotpDevice
from egisz.idp.oidc import keys
from egisz.idp.oidc.models import SigningKey
from tests.field_keys import new_key, rotate

KEY_A, KEY_B, LEGACY = new_key(), new_key(), new_key()
SEED = pyotp.random_base32()

pytestmark = pytest.mark.django_db


@pytest.fixture
def ring(field_key_ring):
    def use(*entries):
        field_key_ring(*entries)
        keys._parse.cache_clear()  # each process decrypts a signing key once

    return use


def enrolled(account) -> TotpDevice:
    device = totp.new_device(account)
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    return device


def logs_in_with_the_app(client, account, password, device) -> bool:
    client.post("/login/", {"identifier": account.phone, "password": password})
    code = pyotp.TOTP(totp.secret_of(device)).now()
    response = client.post("/login/code/", {"code": code})
    client.post("/logout/")
    return response.status_code == 302


def test_rotate_then_drop_the_old_keys_and_everything_still_decrypts(
    client, make_account, password, ring
):
    ring(("2026a", KEY_A))
    maria, pyotr = make_account(), make_account()
    device = enrolled(maria)
    signing = {algorithm: keys.signing_key(algorithm).kid for algorithm in ("RS256", "ES256")}
    # A seed stored before key rings: a Fernet token without a key id.
    ring(("legacy", LEGACY))
    old_device = enrolled(pyotr)
    TotpDevice.objects.filter(pk=old_device.pk).update(
        encrypted_secret=Fernet(LEGACY.encode()).encrypt(SEED.encode()).decode()
    )
    old_device.refresh_from_db()

    ring(("2026b", KEY_B), ("2026a", KEY_A), ("legacy", LEGACY))
    output = rotate()
    assert "Перешифровано значений: 4 (ключ 2026b)" in output

    ring(("2026b", KEY_B))
    device.refresh_from_db()
    old_device.refresh_from_db()
    assert totp.secret_of(old_device) == SEED
    assert logs_in_with_the_app(client, maria, password, device)
    assert logs_in_with_the_app(client, pyotr, password, old_device)
    for algorithm, kid in signing.items():
        key = keys.signing_key(algorithm)
        assert key.kid == kid  # the same key, not a new one
        token = jwt.encode({"alg": algorithm, "kid": kid}, {"sub": "x"}, key)
        assert jwt.decode(token, keys.verification_keys(), algorithms=[algorithm])
    assert client.get("/.well-known/jwks.json").status_code == 200
    assert "Все значения зашифрованы текущим ключом" in rotate("--check")
    event = AuditEvent.objects.get(action="keyring.field_key_rotated")
    assert event.details["key_id"] == "2026b"
    assert event.details["rotated"] == {
        "authn.TotpDevice (encrypted_secret)": 2,
        "oidc.SigningKey (encrypted_private_key)": 2,
    }


def test_without_the_rotation_dropping_the_old_key_loses_the_values(make_account, ring):
    ring(("2026a", KEY_A))
    device = enrolled(make_account())
    ring(("2026b", KEY_B))
    with pytest.raises(DecryptionError, match="key '2026a', which is not in the key ring"):
        totp.secret_of(device)
    with pytest.raises(CommandError, match="Не под текущим ключом: 1 значений"):
        rotate("--check")


def test_an_interrupted_rotation_is_finished_by_the_next_run(make_account, ring):
    ring(("2026a", KEY_A))
    devices = [enrolled(make_account()) for _ in range(5)]
    ring(("2026b", KEY_B), ("2026a", KEY_A))
    calls = []
    real_rotate = EncryptedColumns.rotate

    def interrupted_at_the_third_row(self, row):
        calls.append(row.pk)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_rotate(self, row)

    with (
        mock.patch.object(EncryptedColumns, "rotate", interrupted_at_the_third_row),
        pytest.raises(CommandError, match="Запустите команду снова"),
    ):
        rotate("--batch-size", "2")
    # The first batch of two is committed; the batch that was interrupted is not.
    stored = dict(TotpDevice.objects.values_list("pk", "encrypted_secret"))
    rotated = {pk for pk, value in stored.items() if value.startswith("2026b:")}
    assert rotated == {devices[0].pk, devices[1].pk}
    assert not AuditEvent.objects.filter(action="keyring.field_key_rotated").exists()
    with pytest.raises(CommandError) as check:
        rotate("--check")
    assert "Не под текущим ключом: 3 значений" in str(check.value)

    output = rotate("--batch-size", "2")
    assert "Перешифровано значений: 3 (ключ 2026b)" in output
    after = dict(TotpDevice.objects.values_list("pk", "encrypted_secret"))
    assert all(value.startswith("2026b:") for value in after.values())
    assert {pk: after[pk] for pk in rotated} == {pk: stored[pk] for pk in rotated}  # not redone
    ring(("2026b", KEY_B))
    for device in devices:
        device.refresh_from_db()
        assert len(totp.secret_of(device)) == 32


def test_a_value_under_a_key_not_in_the_ring_is_reported_and_passed_over(make_account, ring):
    ring(("lost", KEY_A))
    lost = enrolled(make_account())
    ring(("2026a", KEY_B))
    kept = enrolled(make_account())
    ring(("2026b", new_key()), ("2026a", KEY_B))

    out = io.StringIO()
    with pytest.raises(CommandError, match="Не удалось перешифровать значений: 1"):
        call_command("rotate_field_key", stdout=out, stderr=out)
    assert f"authn.TotpDevice (encrypted_secret) #{lost.pk}: the value is encrypted with key " in (
        out.getvalue()
    )
    kept.refresh_from_db()
    assert kept.encrypted_secret.startswith("2026b:")
    event = AuditEvent.objects.get(action="keyring.field_key_rotated")
    assert event.result == AuditEvent.Result.FAILURE and event.details["failures"] == 1


def test_check_counts_the_values_under_each_key(make_account, ring):
    ring(("2026a", KEY_A))
    enrolled(make_account())
    enrolled(make_account())
    ring(("2026b", KEY_B), ("2026a", KEY_A))
    enrolled(make_account())
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("rotate_field_key", "--check", stdout=out)
    assert "Текущий ключ: 2026b; в кольце: 2026b, 2026a." in out.getvalue()
    assert "authn.TotpDevice (encrypted_secret): 2026a — 2, 2026b — 1" in out.getvalue()
    assert TotpDevice.objects.filter(encrypted_secret__startswith="2026a:").count() == 2


def test_every_encrypted_column_of_the_idp_is_rotated():
    assert {store.label for store in encrypted_stores()} == {
        "authn.TotpDevice (encrypted_secret)",
        "oidc.SigningKey (encrypted_private_key)",
    }
    call_command("check", stdout=io.StringIO())  # keyring.E001 would stop every command
    # To the database an EncryptedTextField is a TextField: no schema change, no migration.
    assert SigningKey._meta.get_field("encrypted_private_key").deconstruct()[1] == (
        "django.db.models.TextField"
    )


@isolate_apps("egisz.common.keyring")
def test_a_column_named_encrypted_in_a_plain_text_field_stops_the_site():
    class Leaky(models.Model):  # noqa: DJ008
        token_encrypted = models.TextField()

        class Meta:
            app_label = "keyring"

    Leaky.__module__ = "egisz.common.keyring.models"
    assert unmarked_columns([Leaky]) == ["keyring.Leaky.token_encrypted"]
    with mock.patch("egisz.common.keyring.checks.apps.get_models", return_value=[Leaky]):
        errors = encrypted_columns_are_rotated()
    assert [error.id for error in errors] == ["keyring.E001"]
