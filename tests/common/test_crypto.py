"""The field-encryption key ring: each ciphertext names its key, the first key of the ring
encrypts, every key decrypts, and a value written before key rings (no key id) is the
legacy key's."""

import pytest
from cryptography.fernet import Fernet

from egisz.common import crypto
from egisz.common.crypto import DecryptionError, KeyRingError, configured_key_ring
from tests.field_keys import new_key

KEY_A, KEY_B, LEGACY = new_key(), new_key(), new_key()


@pytest.fixture
def ring(field_key_ring):
    return lambda **keys: field_key_ring(*keys.items())


def test_a_ciphertext_names_its_key_and_the_first_key_encrypts(ring):
    ring(a=KEY_A)
    token = crypto.encrypt_text("JBSWY3DPEHPK3PXP")
    blob = crypto.encrypt_bytes(b"%PDF-1.7 scan")
    assert token.startswith("a:") and blob.startswith(b"a:")
    assert "JBSWY3DPEHPK3PXP" not in token

    ring(b=KEY_B, a=KEY_A)
    assert crypto.decrypt_text(token) == "JBSWY3DPEHPK3PXP"
    assert crypto.decrypt_bytes(blob) == b"%PDF-1.7 scan"
    assert crypto.encrypt_text("x").startswith("b:")
    assert crypto.reencrypt_text(token).startswith("b:")
    assert crypto.reencrypt_text(crypto.encrypt_text("x")) is None  # already under b


def test_the_key_is_taken_by_its_id_not_tried_in_turn(ring):
    """A ciphertext claiming key b is decrypted with b only, even when a would open it."""
    ring(a=KEY_A)
    token = crypto.encrypt_text("secret")
    relabelled = "b:" + token.partition(":")[2]
    ring(b=KEY_B, a=KEY_A)
    with pytest.raises(DecryptionError, match="cannot be decrypted with key 'b'"):
        crypto.decrypt_text(relabelled)


def test_a_value_written_before_key_rings_decrypts_with_the_legacy_key(ring):
    before = Fernet(LEGACY.encode()).encrypt(b"seed").decode()  # as the code before rings did
    ring(b=KEY_B, legacy=LEGACY)
    assert crypto.key_id_of(before) == "legacy"
    assert crypto.decrypt_text(before) == "seed"
    assert crypto.decrypt_bytes(before.encode()) == b"seed"


def test_an_unknown_key_id_is_a_clear_error(ring):
    ring(a=KEY_A)
    token = crypto.encrypt_text("secret")
    ring(b=KEY_B)
    with pytest.raises(DecryptionError) as error:
        crypto.decrypt_text(token)
    assert str(error.value) == (
        "the value is encrypted with key 'a', which is not in the key ring "
        "(EGISZ_FIELD_ENCRYPTION_KEYS has b)"
    )


def test_a_value_without_key_id_and_no_legacy_key_says_what_to_add(ring):
    ring(b=KEY_B)
    with pytest.raises(DecryptionError, match="add legacy to EGISZ_FIELD_ENCRYPTION_KEYS"):
        crypto.decrypt_text(Fernet(LEGACY.encode()).encrypt(b"seed").decode())


def test_an_altered_value_is_refused(ring):
    ring(a=KEY_A)
    token = crypto.encrypt_text("secret")
    with pytest.raises(DecryptionError, match="altered"):
        crypto.decrypt_text(token[:-4] + "AAAA")


def test_the_environment_format():
    ring = configured_key_ring(
        f" 2026b:{KEY_B} , 2026a:{KEY_A},legacy", old_key="", secret_key="s" * 40, demo=False
    )
    assert ring == (
        ("2026b", KEY_B),
        ("2026a", KEY_A),
        ("legacy", crypto.derived_key("s" * 40)),
    )


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("", "must be set outside demo mode"),
        ("a:short", "the key of 'a' is not a Fernet key"),
        (f"a:{KEY_A},a:{KEY_B}", "key id 'a' appears twice"),
        (f"A:{KEY_A}", "key id 'A' must be"),
        (f"a:{KEY_A},,b:{KEY_B}", "entry 2 is not id:key"),
        (f"legacy:{KEY_A}", "the key legacy is EGISZ_FIELD_ENCRYPTION_KEY"),
    ],
)
def test_a_bad_ring_is_one_line_naming_the_fault(spec, said):
    old_key = LEGACY if spec.startswith("legacy") else ""
    with pytest.raises(KeyRingError) as error:
        configured_key_ring(spec, old_key=old_key, secret_key="s" * 40, demo=False)
    message = str(error.value)
    assert said in message and "\n" not in message
    assert KEY_A not in message and KEY_B not in message


def test_a_bad_old_single_key_is_named_as_such():
    with pytest.raises(KeyRingError, match=r"^EGISZ_FIELD_ENCRYPTION_KEY: the key of 'legacy'"):
        configured_key_ring(f"a:{KEY_A}", old_key="short", secret_key="s" * 40, demo=False)
