"""Small rules of the login: which `next` is followed, which account level is enough."""

import pytest

from egisz.cabinet.sso.client import acr_satisfies
from egisz.cabinet.sso.session import safe_next

SIMPLIFIED = "urn:egisz:loa:simplified"
STANDARD = "urn:egisz:loa:standard"
CONFIRMED = "urn:egisz:loa:confirmed"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/about/", "/about/"),
        ("/policy/?tab=2#x", "/policy/?tab=2#x"),
        ("", ""),
        (None, ""),
        ("about/", ""),
        ("https://evil.example/", ""),
        ("//evil.example/", ""),
        ("/\\evil.example/", ""),
        ("/\t/evil.example/", ""),
        ("javascript:alert(1)", ""),
        ("/sso/login/", ""),
        ("/sso/callback/?code=x", ""),
        ("/" + "a" * 2001, ""),
    ],
)
def test_safe_next(value, expected):
    assert safe_next(value) == expected


@pytest.mark.parametrize(
    ("acr", "required", "enough"),
    [
        (CONFIRMED, CONFIRMED, True),
        (STANDARD, CONFIRMED, False),
        (SIMPLIFIED, CONFIRMED, False),
        (STANDARD, STANDARD, True),
        (CONFIRMED, STANDARD, True),
        (SIMPLIFIED, STANDARD, False),
        ("", CONFIRMED, False),
        (None, SIMPLIFIED, False),
        ("urn:other:high", CONFIRMED, False),
        ("urn:other:high", "urn:other:high", True),
        (CONFIRMED, "urn:other:high", False),
    ],
)
def test_acr_satisfies(acr, required, enough):
    assert acr_satisfies(acr, required) is enough
