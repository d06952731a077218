"""Forms of «Личные данные»: a new phone or e-mail, a structured address, a one-time code.

Every error is a Russian sentence shown next to its field.
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.common.identifiers import normalize_email, normalize_mobile_phone
from egisz.common.regions import REGION_CHOICES, REGIONS

REQUIRED = gettext_lazy("Заполните поле.")
MAX_CONTACT = 254

# What an address part may hold: letters, digits, spaces and the usual punctuation.
ADDRESS_TEXT = re.compile(r"^[0-9A-Za-zА-Яа-яЁё .,\-–—/()№'\"«»]+$")
HOUSE_TEXT = re.compile(r"^[0-9A-Za-zА-Яа-яЁё .,\-/]+$")
FLAT_TEXT = re.compile(r"^[0-9A-Za-zА-Яа-яЁё\-/ ]+$")
LETTER = re.compile(r"[A-Za-zА-Яа-яЁё]")
DIGIT = re.compile(r"[0-9]")


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Новый номер мобильного телефона"),
        max_length=32,
        help_text=gettext_lazy("Например, +7 916 123-45-67. На него придёт SMS с кодом."),
        error_messages={
            "required": REQUIRED,
            "max_length": gettext_lazy("Номер телефона слишком длинный."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args, current: str = "", **kwargs):
        self.current = current
        super().__init__(*args, **kwargs)

    def clean_phone(self):
        phone = normalize_mobile_phone(self.cleaned_data["phone"])
        if phone == self.current:
            raise ValidationError(_("Этот номер уже указан в кабинете. Введите новый номер."))
        return phone


class EmailForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("Новый адрес электронной почты"),
        max_length=MAX_CONTACT,
        help_text=gettext_lazy("На него придёт письмо с кодом."),
        error_messages={
            "required": REQUIRED,
            "max_length": gettext_lazy("Адрес электронной почты слишком длинный."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, current: str = "", **kwargs):
        self.current = current
        super().__init__(*args, **kwargs)

    def clean_email(self):
        text = self.cleaned_data["email"]
        if any(unicodedata.category(ch).startswith("C") for ch in text):
            raise ValidationError(
                _("Укажите адрес электронной почты, например ivanova@example.ru.")
            )
        email = normalize_email(text)
        if email.lower() == (self.current or "").lower():
            raise ValidationError(
                _("Этот адрес уже указан в кабинете. Введите новый адрес электронной почты.")
            )
        return email


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Код подтверждения"),
        max_length=16,
        help_text=gettext_lazy("6 цифр из сообщения."),
        error_messages={
            "required": gettext_lazy("Введите код из сообщения."),
            "max_length": gettext_lazy("Код состоит из 6 цифр."),
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "code-input",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(_("Код состоит из 6 цифр."))
        return code


def _text_field(label, max_length: int, *, required: bool = True, help_text=""):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        error_messages={
            "required": REQUIRED,
            "max_length": gettext_lazy("Не длиннее %(limit_value)d символов."),
        },
    )


def _tidy(value: str) -> str:
    """NFC, no control or invisible characters, single spaces."""
    text = unicodedata.normalize("NFC", value or "")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ValidationError(_("Допустимы буквы, цифры, пробел и знаки препинания."))
    return " ".join(text.split())


class AddressForm(forms.Form):
    """A structured address. Cleans to the Address model's fields; ``region`` becomes the
    region's name (what Address.region stores and shows), the form's choices are codes."""

    postcode = forms.CharField(
        label=gettext_lazy("Индекс"),
        max_length=12,
        help_text=gettext_lazy("6 цифр, например 101000."),
        error_messages={
            "required": REQUIRED,
            "max_length": gettext_lazy("Индекс состоит из 6 цифр, например 101000."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    region = forms.ChoiceField(
        label=gettext_lazy("Регион"),
        choices=[("", gettext_lazy("— выберите регион —")), *REGION_CHOICES],
        error_messages={
            "required": gettext_lazy("Выберите регион из списка."),
            "invalid_choice": gettext_lazy("Выберите регион из списка."),
        },
    )
    city = _text_field(gettext_lazy("Город или населённый пункт"), 100)
    street = _text_field(gettext_lazy("Улица"), 150)
    house = _text_field(
        gettext_lazy("Дом"), 20, help_text=gettext_lazy("Номер дома, корпус, строение: 12к2.")
    )
    flat = _text_field(gettext_lazy("Квартира"), 10, required=False)

    @classmethod
    def initial_from(cls, address) -> dict:
        """The form's initial values for a stored address (its region name back to a code)."""
        if address is None:
            return {}
        codes = {name: code for code, name in REGIONS.items()}
        return {
            "postcode": address.postcode,
            "region": codes.get(address.region, ""),
            "city": address.city,
            "street": address.street,
            "house": address.house,
            "flat": address.flat,
        }

    def clean_postcode(self):
        text = "".join(_tidy(self.cleaned_data["postcode"]).split())
        if not re.fullmatch(r"[0-9]{6}", text):
            raise ValidationError(_("Индекс состоит из 6 цифр, например 101000."))
        return text

    def clean_region(self):
        return REGIONS[self.cleaned_data["region"]]

    def _place(self, name: str) -> str:
        text = _tidy(self.cleaned_data[name])
        if not text:
            raise ValidationError(REQUIRED)
        if not ADDRESS_TEXT.fullmatch(text):
            raise ValidationError(_("Допустимы буквы, цифры, пробел и знаки препинания."))
        if not LETTER.search(text):
            raise ValidationError(_("Название должно содержать буквы."))
        return text

    def clean_city(self):
        return self._place("city")

    def clean_street(self):
        return self._place("street")

    def clean_house(self):
        text = _tidy(self.cleaned_data["house"])
        if not text:
            raise ValidationError(REQUIRED)
        if not HOUSE_TEXT.fullmatch(text):
            raise ValidationError(_("Допустимы буквы, цифры, пробел и знаки «/», «-», «.», «,»."))
        if not DIGIT.search(text):
            raise ValidationError(_("В номере дома должна быть хотя бы одна цифра."))
        return text

    def clean_flat(self):
        text = _tidy(self.cleaned_data.get("flat", ""))
        if text and not FLAT_TEXT.fullmatch(text):
            raise ValidationError(_("Допустимы буквы, цифры и знаки «/», «-»."))
        return text

    def address_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ADDRESS_FIELDS}


ADDRESS_FIELDS = ("postcode", "region", "city", "street", "house", "flat")
