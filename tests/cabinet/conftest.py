"""Fixtures of the cabinet's tests (run with --ds=egisz.cabinet.settings).

Patients are made through the same service the login uses. ``patient_client`` is a
browser logged in as a patient without the provider round trip (the sso tests cover that
against a real OpenID Connect provider in a thread); it also turns the per-request grant
check off, which the sso tests turn back on.
"""

import itertools

import pytest

from egisz.cabinet.patients.services import sign_in_patient
from egisz.common.identifiers import snils_checksum

ISSUER = "https://idp.test"
CONFIRMED = "urn:egisz:loa:confirmed"
_numbers = itertools.count(1)


def valid_snils(n: int) -> str:
    first_nine = f"{200_000_000 + n:09d}"
    return first_nine + f"{snils_checksum(first_nine):02d}"


@pytest.fixture(autouse=True)
def _grant_check_off(settings):
    settings.OIDC_GRANT_CHECK_SECONDS = None


@pytest.fixture
def make_patient(db, meta):
    def make(**claims):
        n = next(_numbers)
        defaults = {
            "family_name": "Иванова",
            "given_name": "Мария",
            "middle_name": "Петровна",
            "birthdate": "1985-04-12",
            "snils": valid_snils(n),
            "phone_number": f"+7916{5_550_000 + n:07d}",
            "email": f"patient{n}@example.org",
            "email_verified": True,
        }
        subject = claims.pop("sub", f"subject-{n}")
        level = claims.pop("acr", CONFIRMED)
        patient, _ = sign_in_patient(
            issuer=ISSUER, subject=subject, claims={**defaults, **claims}, level=level, meta=meta
        )
        return patient

    return make


@pytest.fixture
def patient(make_patient):
    return make_patient()


@pytest.fixture
def other_patient(make_patient):
    return make_patient(family_name="Петров", given_name="Сергей", middle_name="Иванович")


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient.user)
    return client


@pytest.fixture
def login_as(client):
    """Log the browser in as another patient: ``login_as(other_patient)``."""

    def login(somebody):
        client.logout()
        client.force_login(somebody.user)
        return client

    return login


@pytest.fixture
def operator(db):
    """A member of the cabinet operator's staff (the /operator/ console)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(
        username="operator", password="Operator#Password2026"
    )


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client
