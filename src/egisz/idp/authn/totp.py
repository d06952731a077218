"""Authenticator apps (TOTP, RFC 6238) and recovery codes, on pyotp."""

import secrets

import pyotp
import segno
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from egisz.common.crypto import decrypt_text, encrypt_text
from egisz.idp.authn.models import RecoveryCode, TotpDevice

ISSUER = "Госуслуги (egisz)"
RECOVERY_CODE_COUNT = 10
# Accept the previous and the next 30-second step too: phones' clocks drift.
VALID_WINDOW = 1


def new_device(account) -> TotpDevice:
    """Start enrolment: a fresh secret, not active until confirm_device()."""
    TotpDevice.objects.filter(account=account, confirmed_at__isnull=True).delete()
    return TotpDevice.objects.create(
        account=account, encrypted_secret=encrypt_text(pyotp.random_base32())
    )


def secret_of(device: TotpDevice) -> str:
    return decrypt_text(device.encrypted_secret)


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(secret_of(device)).provisioning_uri(
        name=device.account.phone, issuer_name=ISSUER
    )


def qr_data_uri(device: TotpDevice) -> str:
    return segno.make(provisioning_uri(device), error="m").svg_data_uri(scale=5)


def verify_code(device: TotpDevice, code: str, *, now=None) -> bool:
    """True for a current code not used before; records its step so it cannot be replayed."""
    digits = "".join(ch for ch in (code or "")[:16] if ch.isdigit())
    if len(digits) != 6:
        return False
    totp = pyotp.TOTP(secret_of(device))
    moment = now or timezone.now()
    current = totp.timecode(moment)
    with transaction.atomic():
        locked = TotpDevice.objects.select_for_update().get(pk=device.pk)
        for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
            if step > locked.last_used_step and secrets.compare_digest(
                totp.generate_otp(step), digits
            ):
                locked.last_used_step = step
                locked.save(update_fields=["last_used_step"])
                device.last_used_step = step
                return True
    return False


def active_device(account) -> TotpDevice | None:
    return TotpDevice.objects.filter(account=account, confirmed_at__isnull=False).first()


def issue_recovery_codes(account) -> list[str]:
    """Replace the account's recovery codes; the plain codes are shown once, then gone."""
    RecoveryCode.objects.filter(account=account).delete()
    codes = [
        f"{secrets.randbelow(10**5):05d}-{secrets.randbelow(10**5):05d}"
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(account=account, code_hash=make_password(code)) for code in codes
    )
    return codes


def use_recovery_code(account, code: str) -> bool:
    cleaned = "".join(ch for ch in (code or "")[:32] if ch.isdigit())
    if len(cleaned) != 10:
        return False
    candidate = f"{cleaned[:5]}-{cleaned[5:]}"
    with transaction.atomic():
        for record in RecoveryCode.objects.select_for_update().filter(
            account=account, used_at__isnull=True
        ):
            if check_password(candidate, record.code_hash):
                record.used_at = timezone.now()
                record.save(update_fields=["used_at"])
                return True
    return False
