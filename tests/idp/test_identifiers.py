"""Identifier validators: what people type is accepted and stored normalised; wrong numbers
are refused with a message a person understands, never an exception page."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from egisz.common.identifiers import (
    format_phone,
    format_snils,
    mask_passport,
    mask_phone,
    normalize_email,
    normalize_mobile_phone,
    normalize_organization_inn,
    normalize_passport,
    normalize_person_name,
    normalize_personal_inn,
    normalize_snils,
    snils_checksum,
    validate_birth_date,
)

# The suite-wide cache fixture uses the database cache table.
pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)


def refused(normalize, raw) -> str:
    with pytest.raises(ValidationError) as caught:
        normalize(raw)
    return " ".join(caught.value.messages)


# --- СНИЛС ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["112-233-445 95", "11223344595", " 112 233 445 95 ", "112-233-445-95", "112.233.445/95"],
)
def test_snils_in_usual_formats_is_stored_as_11_digits(typed):
    assert normalize_snils(typed) == "11223344595"


def test_snils_checksum_below_100_is_the_sum_itself():
    # 1·9+1·8+2·7+2·6+3·5+3·4+4·3+4·2+5·1 = 95
    assert snils_checksum("112233445") == 95


def weighted_sum(first_nine: str) -> int:
    return sum(int(d) * w for d, w in zip(first_nine, range(9, 0, -1), strict=True))


@pytest.mark.parametrize(
    ("first_nine", "total"),
    [
        ("124121196", 100),  # 100 and 101 give 00
        ("124303333", 101),
        ("123788598", 201),  # 201 mod 101 = 100, which also gives 00
        ("298869769", 302),  # 302 mod 101 = 100
    ],
)
def test_snils_check_number_00_cases(first_nine, total):
    assert weighted_sum(first_nine) == total
    assert snils_checksum(first_nine) == 0
    assert normalize_snils(first_nine + "00") == first_nine + "00"
    assert "контрольное число" in refused(normalize_snils, first_nine + "01")


def test_snils_checksum_above_101_is_the_remainder_mod_101():
    # 9·9+8·8+…+1·1 = 285; 285 mod 101 = 83
    assert weighted_sum("987654321") == 285
    assert snils_checksum("987654321") == 83
    assert normalize_snils("987-654-321 83") == "98765432183"
    # 100 itself is written as 00, never as «100»
    assert "11 цифр" in refused(normalize_snils, "123788598100")


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("112-233-445 96", "контрольное число"),
        ("112-233-445", "11 цифр"),
        ("112-233-445 955", "11 цифр"),
        ("112-233-44A 95", "11 цифр"),
        ("1122334459²", "11 цифр"),  # a superscript two is not a digit to int()
        ("112\x1c233-445 95", "11 цифр"),  # control character
        ("000-000-000 00", "не бывает"),
        ("", "11 цифр"),
    ],
)
def test_wrong_snils_is_refused_with_a_reason(typed, says):
    assert says in refused(normalize_snils, typed)


def test_early_snils_numbers_without_a_check_number_are_accepted():
    # Numbers up to 001-001-998 predate the check number.
    assert normalize_snils("001-001-998 00") == "00100199800"


def test_snils_is_shown_grouped():
    assert format_snils("11223344595") == "112-233-445 95"


# --- ИНН --------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["500100732259", "5001 0073 2259", "500-100-732-259"])
def test_personal_inn_with_right_check_digits(typed):
    assert normalize_personal_inn(typed) == "500100732259"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("500100732250", "контрольные цифры"),  # second check digit wrong
        ("500100732269", "контрольные цифры"),  # first check digit wrong
        ("7707083893", "12 цифр"),  # an organisation's ИНН is not a person's
        ("50010073225", "12 цифр"),
        ("50010073225²", "12 цифр"),
        ("5001OO732259", "12 цифр"),
    ],
)
def test_wrong_personal_inn_is_refused(typed, says):
    assert says in refused(normalize_personal_inn, typed)


def test_organization_inn_has_one_check_digit():
    assert normalize_organization_inn("7707083893") == "7707083893"
    assert "контрольная цифра" in refused(normalize_organization_inn, "7707083894")


# --- Passport ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["4509 123456", "4509123456", "45 09 123456", "45 09 № 123456"])
def test_passport_series_and_number(typed):
    assert normalize_passport(typed) == "4509123456"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("4509 12345", "4 цифры"),
        ("45091 123456", "4 цифры"),
        ("45O9 123456", "4 цифры"),
        ("0000 123456", "не бывает"),
        ("4509 000000", "не бывает"),
    ],
)
def test_wrong_passport_is_refused(typed, says):
    assert says in refused(normalize_passport, typed)


def test_passport_is_masked_but_the_last_four_digits():
    assert mask_passport("4509123456") == "**** **3456"


# --- Mobile phone -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "+7 (916) 123-45-67",
        "8 916 1234567",
        "9161234567",
        "+79161234567",
        "8-916-123-45-67",
        "7 916 123 45 67",
        "+7\u00a0916\u00a0123-45-67",
    ],
)
def test_mobile_phone_in_usual_formats_is_stored_in_e164(typed):
    assert normalize_mobile_phone(typed) == "+79161234567"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("+7 495 123-45-67", "не номер мобильного"),  # Moscow landline
        ("8 (495) 1234567", "не номер мобильного"),
        ("+7 800 555-35-35", "не номер мобильного"),  # toll-free
        ("+1 202 555 0143", "российского"),  # USA
        ("+380 50 123 4567", "российского"),  # Ukraine
        ("+7 701 123 4567", "российского"),  # Kazakhstan shares +7
        ("+7 916 CALL-ME-1", "например"),  # keypad letters
        ("+7 916 123 45 67 ext 5", "например"),
        ("89161234567\x00", "например"),
        ("+7 916 123 45 678", "например"),
        ("", "например"),
    ],
)
def test_not_a_russian_mobile_is_refused(typed, says):
    assert says in refused(normalize_mobile_phone, typed)


def test_phone_is_shown_in_full_and_masked():
    assert format_phone("+79161234567") == "+7 916 123-45-67"
    assert mask_phone("+79161234567") == "+7 916 ***-**-67"


# --- E-mail -----------------------------------------------------------------------------


def test_email_domain_is_lowercased():
    assert normalize_email("  Ivanova@Example.RU ") == "Ivanova@example.ru"


@pytest.mark.parametrize(
    "typed",
    ["ivanova", "ivanova@", "a@b", "<script>@x.ru", "x@example.ru\x00", "a" * 250 + "@x.ru"],
)
def test_wrong_email_is_refused(typed):
    refused(normalize_email, typed)


# --- Names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Иванова", "Иванова"),
        ("Салтыков-Щедрин", "Салтыков-Щедрин"),
        ("Анна-Мария", "Анна-Мария"),
        ("O'Brien", "O'Brien"),
        ("д’Артаньян", "д'Артаньян"),  # typographic apostrophe stored as one form
        ("  Ёлкина  ", "Ёлкина"),
        ("Мамед  оглы", "Мамед оглы"),
        ("Чебышёв", "Чебышёв"),
        ("Андрии\u0306", "Андрий"),  # и + combining breve is й
    ],
)
def test_names_with_hyphen_apostrophe_space(typed, stored):
    assert normalize_person_name(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "Иван2",
        "<script>alert(1)</script>",
        "Robert'); DROP TABLE accounts;--",
        "Анна--Мария",
        "-Анна",
        "Ив\x1fан",
        "Аня\u200b",  # zero-width space
        "Иван\x00",
    ],
)
def test_names_with_digits_markup_or_control_characters_are_refused(typed):
    assert "только буквы" in refused(normalize_person_name, typed)


def test_too_long_name_is_refused():
    assert "60" in refused(normalize_person_name, "А" * 61)


def test_empty_name_is_refused():
    refused(normalize_person_name, "   ")


# --- Birth date -------------------------------------------------------------------------


def test_plausible_birth_date_is_accepted():
    born = datetime.date(1985, 3, 14)
    assert validate_birth_date(born, today=TODAY) == born


def test_birth_date_in_the_future_is_refused():
    assert "в прошлом" in refused(
        lambda value: validate_birth_date(value, today=TODAY), datetime.date(2026, 3, 3)
    )
    assert "в прошлом" in refused(lambda value: validate_birth_date(value, today=TODAY), TODAY)


def test_too_young_to_register_alone():
    check = lambda value: validate_birth_date(value, today=TODAY)  # noqa: E731
    assert "14" in refused(check, datetime.date(2012, 3, 3))  # a day short of 14
    assert check(datetime.date(2012, 3, 2)) == datetime.date(2012, 3, 2)  # 14 today


def test_too_old_is_a_typo():
    check = lambda value: validate_birth_date(value, today=TODAY)  # noqa: E731
    assert "год рождения" in refused(check, datetime.date(1900, 1, 1))
