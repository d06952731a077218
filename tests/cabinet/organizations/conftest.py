"""Fixtures of the directory, policy and attachment tests: data made through the services."""

import itertools

import pytest

from egisz.cabinet.organizations.models import MedicalOrganization
from egisz.cabinet.organizations.services import import_organizations, save_policy
from egisz.common.identifiers import enp_check_digit

_numbers = itertools.count(1)


def valid_enp(n: int = 1) -> str:
    first = f"77{n:013d}"
    return first + str(enp_check_digit(first))


def org_row(n: int, **overrides) -> dict:
    row = {
        "oid": f"1.2.643.5.1.13.13.12.2.77.{7700 + n}",
        "full_name": f"ГБУЗ «Городская поликлиника № {n} ДЗМ»",
        "short_name": f"ГП № {n} ДЗМ",
        "kind": "polyclinic",
        "region": "77",
        "address": f"117{n:03d}, г. Москва, ул. Профсоюзная, д. {n}",
        "phone": "+7 (495) 123-45-67",
        "hours": "пн–пт 8:00–20:00",
    }
    row.update(overrides)
    return row


@pytest.fixture
def make_organization(db):
    def make(**overrides) -> MedicalOrganization:
        row = org_row(next(_numbers) + 100, **overrides)
        report = import_organizations([row])
        assert not report.rejected, report.rejected
        return MedicalOrganization.objects.get(oid=row["oid"])

    return make


@pytest.fixture
def organization(make_organization):
    return make_organization()


@pytest.fixture
def make_policy(meta):
    def make(patient, *, enp=None, insurer="ООО «Капитал МС»"):
        policy, _ = save_policy(
            patient=patient, enp=enp or valid_enp(patient.pk), insurer=insurer, meta=meta
        )
        return policy

    return make
