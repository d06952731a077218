"""Telephone numbers of organisations: landlines as well as mobiles (the patients' own
numbers go through egisz.common.identifiers.normalize_mobile_phone, which refuses
landlines)."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Digits, a leading plus and the usual separators; letters or an extension are refused.
PHONE_CHARACTERS = re.compile(r"\+?[0-9 \u00a0\-‐‑–—().]+")


def normalize_landline(raw: str) -> str:
    """A Russian telephone number (landline or mobile) in E.164, e.g. +74951234567."""
    text = (raw or "").strip()
    if not text or len(text) > 32 or not PHONE_CHARACTERS.fullmatch(text):
        raise ValidationError(_("телефон указан неверно, нужен вид +7 495 123-45-67"))
    try:
        number = phonenumbers.parse(text, "RU")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("телефон указан неверно, нужен вид +7 495 123-45-67")) from exc
    if number.country_code != 7:
        raise ValidationError(_("нужен российский номер телефона (+7)"))
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("такого номера телефона не бывает, проверьте цифры"))
    if phonenumbers.region_code_for_number(number) != "RU":
        raise ValidationError(_("нужен российский номер телефона (+7)"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_landline(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "RU")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
