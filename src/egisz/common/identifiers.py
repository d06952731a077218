"""Russian personal identifiers: parsing what people type, validating, normalising.

Each ``normalize_*`` takes free-form input (spaces, dashes, brackets, +7/8 prefixes) and
returns the canonical stored form, or raises django.core.exceptions.ValidationError with
a Russian message meant to be shown next to the field.
"""

import re
import unicodedata
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

# Spaces (incl. no-break ones), dashes, brackets, dots, commas, slashes. Spelled out rather
# than \s, which would also let in control characters such as \x1c-\x1f.
SPACES = " \t\u00a0\u202f"
SEPARATORS = re.compile(f"[{SPACES}\\-‐‑–—().,/]+")
ASCII_DIGITS = re.compile(r"[0-9]+")
# What a person may type into a phone field: digits, a leading plus, usual separators.
PHONE_CHARACTERS = re.compile(f"\\+?[0-9{SPACES}\\-‐‑–—().]+")
NAME_PATTERN = re.compile(r"^[A-Za-zА-Яа-яЁё]+(?:[ '\-][A-Za-zА-Яа-яЁё]+)*$")
APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'", "´": "'"})
MAX_NAME_LENGTH = 60
MIN_AGE_YEARS = 14  # a Russian passport is issued from 14
MAX_AGE_YEARS = 120
SNILS_CHECKED_FROM = 1_001_998


def _digits_only(raw: str, *, allowed_extra: str = "") -> str | None:
    """ASCII digits of ``raw`` once separators are dropped; None if anything else is left.

    str.isdigit() would also pass «²» or Arabic-Indic digits, which int() then rejects or
    reads differently, so only 0-9 count.
    """
    cleaned = SEPARATORS.sub("", raw or "")
    for ch in allowed_extra:
        cleaned = cleaned.replace(ch, "")
    return cleaned if ASCII_DIGITS.fullmatch(cleaned) else None


def snils_checksum(first_nine: str) -> int:
    total = sum(int(d) * w for d, w in zip(first_nine, range(9, 0, -1), strict=True))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    remainder = total % 101
    return 0 if remainder == 100 else remainder


def normalize_snils(raw: str) -> str:
    """11 digits with a valid check number; stored as 11 bare digits."""
    digits = _digits_only(raw)
    if not digits or len(digits) != 11:
        raise ValidationError(_("СНИЛС состоит из 11 цифр, например 112-233-445 95."))
    if digits[:9] == "000000000":
        raise ValidationError(_("Такого СНИЛС не бывает. Проверьте цифры."))
    # Numbers up to 001-001-998 were issued before the check number existed.
    if int(digits[:9]) > SNILS_CHECKED_FROM and snils_checksum(digits[:9]) != int(digits[9:]):
        raise ValidationError(_("СНИЛС введён с ошибкой: не сходится контрольное число."))
    return digits


def format_snils(digits: str) -> str:
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}" if digits else ""


INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def normalize_personal_inn(raw: str) -> str:
    """A person's ИНН: 12 digits with two check digits."""
    digits = _digits_only(raw)
    if not digits or len(digits) != 12:
        raise ValidationError(_("ИНН физического лица состоит из 12 цифр."))
    if _inn_digit(digits[:10], INN12_WEIGHTS_1) != int(digits[10]) or _inn_digit(
        digits[:11], INN12_WEIGHTS_2
    ) != int(digits[11]):
        raise ValidationError(_("ИНН введён с ошибкой: не сходятся контрольные цифры."))
    return digits


def normalize_organization_inn(raw: str) -> str:
    """An organisation's ИНН: 10 digits with one check digit."""
    digits = _digits_only(raw)
    if not digits or len(digits) != 10:
        raise ValidationError(_("ИНН организации состоит из 10 цифр."))
    if _inn_digit(digits[:9], INN10_WEIGHTS) != int(digits[9]):
        raise ValidationError(_("ИНН введён с ошибкой: не сходится контрольная цифра."))
    return digits


def enp_check_digit(first_fifteen: str) -> int:
    """The 16th digit of an ЕНП: the Luhn check digit of the first fifteen."""
    total = 0
    # From the right, every other digit starting with the one next to the check digit is
    # doubled (a doubled digit over 9 counts as the sum of its two digits).
    for position, char in enumerate(reversed(first_fifteen)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def normalize_enp(raw: str) -> str:
    """ЕНП (единый номер полиса ОМС): 16 digits, the last one a check digit."""
    digits = _digits_only(raw)
    if not digits or len(digits) != 16:
        raise ValidationError(
            _("Номер полиса ОМС (ЕНП) состоит из 16 цифр, например 7700 0000 0000 0016.")
        )
    if enp_check_digit(digits[:15]) != int(digits[15]):
        raise ValidationError(
            _("Номер полиса введён с ошибкой: не сходится контрольная цифра. Проверьте цифры.")
        )
    return digits


def format_enp(digits: str) -> str:
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4)) if digits else ""


def normalize_passport(raw: str) -> str:
    """Series (4 digits) and number (6 digits) of a Russian passport, stored as 10 digits."""
    digits = _digits_only(raw, allowed_extra="№N")
    if not digits or len(digits) != 10:
        raise ValidationError(
            _("Укажите серию (4 цифры) и номер (6 цифр) паспорта, например 4509 123456.")
        )
    if digits[:4] == "0000" or digits[4:] == "000000":
        raise ValidationError(_("Такой серии или номера паспорта не бывает."))
    return digits


def format_passport(digits: str) -> str:
    return f"{digits[:4]} {digits[4:]}" if digits else ""


def mask_passport(digits: str) -> str:
    """**** **3456: the last four digits are enough for the owner to recognise it."""
    return f"**** **{digits[-4:]}" if digits else ""


def normalize_mobile_phone(raw: str) -> str:
    """A Russian mobile number in E.164 (+79XXXXXXXXX). Accepts +7, 8 and bare 10 digits."""
    text = (raw or "").strip()
    # phonenumbers would read letters as a keypad («CALL-ME» → 2255-63) and drop an
    # extension or stray control characters; a mobile number has none of them.
    if not text or len(text) > 32 or not PHONE_CHARACTERS.fullmatch(text):
        raise ValidationError(_("Укажите номер мобильного телефона, например +7 916 123-45-67."))
    text = re.sub(f"[{SPACES}]", " ", text)
    digits = _digits_only(text.lstrip("+"))
    if digits and len(digits) == 10 and digits.startswith("9"):
        text = "+7" + digits
    try:
        number = phonenumbers.parse(text, "RU")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("Укажите номер мобильного телефона, например +7 916 123-45-67.")
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("Укажите номер мобильного телефона, например +7 916 123-45-67."))
    if number.country_code != 7 or phonenumbers.region_code_for_number(number) != "RU":
        raise ValidationError(_("Нужен номер российского мобильного оператора (+7)."))
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(_("Это не номер мобильного телефона. Проверьте цифры."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    if not e164:
        return ""
    number = phonenumbers.parse(e164, "RU")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_phone(e164: str) -> str:
    """+7 916 ***-**-67: enough for the owner to recognise, little for anyone else."""
    return f"{e164[:2]} {e164[2:5]} ***-**-{e164[-2:]}" if e164 else ""


def normalize_email(raw: str) -> str:
    text = (raw or "").strip()
    if len(text) > 254:
        raise ValidationError(_("Адрес электронной почты слишком длинный."))
    try:
        validate_email(text)
    except ValidationError as exc:
        raise ValidationError(
            _("Укажите адрес электронной почты, например ivanova@example.ru.")
        ) from exc
    local, _sep, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_person_name(raw: str) -> str:
    """Letters (Cyrillic or Latin) with single hyphens, apostrophes or spaces between parts.

    NFC first, so «й» typed as «и» plus a combining breve is the same letter; every kind of
    apostrophe becomes «'», so one name has one stored form.
    """
    text = unicodedata.normalize("NFC", raw or "")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        # Control, format (zero-width) and unassigned characters: never part of a name.
        raise ValidationError(
            _("Допустимы только буквы, дефис, апостроф и пробел между частями имени.")
        )
    text = " ".join(text.split()).translate(APOSTROPHES)
    if not text:
        raise ValidationError(_("Заполните поле."))
    if len(text) > MAX_NAME_LENGTH:
        raise ValidationError(_("Не длиннее %(n)d символов.") % {"n": MAX_NAME_LENGTH})
    if not NAME_PATTERN.match(text):
        raise ValidationError(
            _("Допустимы только буквы, дефис, апостроф и пробел между частями имени.")
        )
    return text


def validate_birth_date(value: date, *, today: date) -> date:
    if value >= today:
        raise ValidationError(_("Дата рождения должна быть в прошлом."))
    years = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if years < MIN_AGE_YEARS:
        raise ValidationError(
            _("Зарегистрироваться самостоятельно можно с %(n)d лет.") % {"n": MIN_AGE_YEARS}
        )
    if years > MAX_AGE_YEARS:
        raise ValidationError(_("Проверьте год рождения."))
    return value
