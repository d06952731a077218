"""Helpers of the «Личные данные» tests: reading the codes the cabinet sends."""

import re

import pytest

from egisz.common.outbox.models import Message


def last_message(recipient: str) -> Message | None:
    return Message.objects.filter(recipient=recipient).order_by("-created_at", "-id").first()


def code_sent_to(recipient: str) -> str:
    message = last_message(recipient)
    assert message is not None, f"nothing was sent to {recipient}"
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.fixture
def address_data():
    return {
        "postcode": "101000",
        "region": "77",
        "city": "Москва",
        "street": "ул. Мясницкая",
        "house": "12к2",
        "flat": "15",
    }
