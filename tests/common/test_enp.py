"""ЕНП (единый номер полиса ОМС): 16 digits with a Luhn check digit."""

import pytest
from django.core.exceptions import ValidationError

from egisz.common.identifiers import enp_check_digit, format_enp, normalize_enp


def with_check_digit(first_fifteen: str) -> str:
    return first_fifteen + str(enp_check_digit(first_fifteen))


@pytest.mark.parametrize(
    "typed", ["7700000000000016", "7700 0000 0000 0016", "7700-0000-0000-0016"]
)
def test_a_valid_number_is_accepted_in_usual_spellings(typed):
    assert normalize_enp(typed) == "7700000000000016"


def test_any_single_wrong_digit_is_caught():
    number = with_check_digit("503140873000123")
    for position in range(16):
        wrong = number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]
        with pytest.raises(ValidationError, match="контрольная цифра"):
            normalize_enp(wrong)


@pytest.mark.parametrize(
    "typed",
    ["", "770000000000001", "77000000000000160", "7700abcd00000016", "７７００000000000016"],
)
def test_wrong_length_or_characters_are_refused_in_russian(typed):
    with pytest.raises(ValidationError, match="16 цифр"):
        normalize_enp(typed)


def test_numbers_are_shown_in_groups_of_four():
    assert format_enp("7700000000000016") == "7700 0000 0000 0016"
