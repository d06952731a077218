"""Helpers of the field-encryption key ring tests of both sites."""

import io

from cryptography.fernet import Fernet
from django.core.management import call_command


def new_key() -> str:
    return Fernet.generate_key().decode()


def rotate(*args: str) -> str:
    """Runs rotate-field-key with ``args``; its output (stdout and stderr)."""
    out = io.StringIO()
    call_command("rotate_field_key", *args, stdout=out, stderr=out)
    return out.getvalue()
