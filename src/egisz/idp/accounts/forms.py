"""Forms of the accounts app: they parse what people type and leave normalised values."""

import datetime
import re

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.common.identifiers import (
    MAX_NAME_LENGTH,
    normalize_email,
    normalize_mobile_phone,
    normalize_passport,
    normalize_person_name,
    normalize_personal_inn,
    normalize_snils,
    validate_birth_date,
)
from egisz.idp.accounts.models import Account
from egisz.idp.accounts.services import PersonData

MAX_PASSWORD = 128
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
CODE_PATTERN = re.compile(r"[0-9]{6}")


class NormalizedField(forms.CharField):
    """A text field whose value goes through one of common.identifiers' normalisers."""

    def __init__(self, *, normalize, **kwargs):
        self.normalize = normalize
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return ""
        return self.normalize(value)


# Django fills %(limit_value)d from the max-length validator.
TOO_LONG = gettext_lazy("Слишком длинное значение: не больше %(limit_value)d символов.")


def _messages(required="") -> dict:
    return {"required": required, "max_length": TOO_LONG}


def name_field(label, *, required=True, required_message="", autocomplete="off", help_text=""):
    return NormalizedField(
        normalize=normalize_person_name,
        label=label,
        required=required,
        max_length=MAX_NAME_LENGTH,
        help_text=help_text,
        error_messages=_messages(required_message),
        widget=forms.TextInput(attrs={"autocomplete": autocomplete, "spellcheck": "false"}),
    )


def numeric_field(label, *, normalize, max_length, required_message="", required=True, **kw):
    return NormalizedField(
        normalize=normalize,
        label=label,
        required=required,
        max_length=max_length,
        error_messages=_messages(required_message),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        **kw,
    )


class BirthDateField(forms.CharField):
    """A date typed as дд.мм.гггг (or what a date picker sends), in the plausible range."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        for pattern in DATE_FORMATS:
            try:
                parsed = datetime.datetime.strptime(value, pattern).date()
            except ValueError:
                continue
            return validate_birth_date(parsed, today=timezone.localdate())
        raise ValidationError(_("Укажите дату в формате дд.мм.гггг, например 14.03.1985."))


def birth_date_field():
    return BirthDateField(
        label=gettext_lazy("Дата рождения"),
        help_text=gettext_lazy("В формате дд.мм.гггг, например 14.03.1985"),
        error_messages=_messages(gettext_lazy("Укажите дату рождения.")),
        widget=forms.TextInput(attrs={"autocomplete": "bday", "inputmode": "numeric"}),
    )


def snils_field():
    return numeric_field(
        gettext_lazy("СНИЛС"),
        normalize=normalize_snils,
        max_length=20,
        required_message=gettext_lazy("Укажите СНИЛС."),
        help_text=gettext_lazy("11 цифр, например 112-233-445 95"),
    )


def passport_field():
    return numeric_field(
        gettext_lazy("Серия и номер паспорта"),
        normalize=normalize_passport,
        max_length=20,
        required_message=gettext_lazy("Укажите серию и номер паспорта."),
        help_text=gettext_lazy("Серия — 4 цифры, номер — 6 цифр, например 4509 123456"),
    )


def phone_field(help_text):
    return NormalizedField(
        normalize=normalize_mobile_phone,
        label=gettext_lazy("Мобильный телефон"),
        max_length=32,
        help_text=help_text,
        error_messages=_messages(gettext_lazy("Укажите номер мобильного телефона.")),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )


def email_field(help_text=""):
    return NormalizedField(
        normalize=normalize_email,
        label=gettext_lazy("Электронная почта"),
        required=False,
        max_length=254,
        help_text=help_text,
        error_messages=_messages(),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class PasswordPairMixin:
    """Two password fields checked against the whole policy for the person being made."""

    def _check_password(self, person: Account) -> None:
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2")
        if first:
            try:
                password_validation.validate_password(first, person)
            except ValidationError as error:
                self.add_error("password1", error)
        if first and second and first != second:
            self.add_error("password2", _("Пароли не совпадают."))


class RegistrationForm(PasswordPairMixin, forms.Form):
    last_name = name_field(
        gettext_lazy("Фамилия"),
        required_message=gettext_lazy("Укажите фамилию."),
        autocomplete="family-name",
    )
    first_name = name_field(
        gettext_lazy("Имя"),
        required_message=gettext_lazy("Укажите имя."),
        autocomplete="given-name",
    )
    middle_name = name_field(
        gettext_lazy("Отчество"),
        required=False,
        autocomplete="additional-name",
        help_text=gettext_lazy("Если есть"),
    )
    birth_date = birth_date_field()
    snils = snils_field()
    inn = numeric_field(
        gettext_lazy("ИНН"),
        normalize=normalize_personal_inn,
        max_length=20,
        required=False,
        help_text=gettext_lazy("12 цифр"),
    )
    passport = passport_field()
    phone = phone_field(
        gettext_lazy("Например, +7 916 123-45-67. На него придёт SMS с кодом подтверждения.")
    )
    email = email_field(gettext_lazy("Пришлём ссылку, чтобы подтвердить адрес"))
    password1 = forms.CharField(
        label=gettext_lazy("Пароль"),
        max_length=MAX_PASSWORD,
        strip=False,
        help_text=gettext_lazy(
            "Не короче 8 символов: заглавные и строчные буквы, цифры и специальные знаки. "
            "Не используйте имя, телефон, номера документов и дату рождения."
        ),
        error_messages=_messages(gettext_lazy("Придумайте пароль.")),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Повторите пароль"),
        max_length=MAX_PASSWORD,
        strip=False,
        error_messages=_messages(gettext_lazy("Введите пароль ещё раз.")),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    agree = forms.BooleanField(
        label=gettext_lazy(
            "Я принимаю пользовательское соглашение и даю согласие на обработку моих "
            "персональных данных"
        ),
        error_messages={
            "required": gettext_lazy(
                "Чтобы зарегистрироваться, примите пользовательское соглашение."
            )
        },
    )

    # No identifier is checked against other accounts here: whether a phone, СНИЛС or
    # e-mail is someone's is never said to whoever types it (services.phone_in_use_text,
    # services.confirm_registration).

    def clean(self):
        cleaned = super().clean()
        data = {
            name: cleaned.get(name) or ""
            for name in (
                "last_name",
                "first_name",
                "middle_name",
                "snils",
                "inn",
                "passport",
                "phone",
                "email",
            )
        }
        # An unsaved account carrying the person's data, so the similarity rules see it.
        self._check_password(Account(birth_date=cleaned.get("birth_date"), **data))
        return cleaned

    def person(self) -> PersonData:
        data = self.cleaned_data
        return PersonData(
            last_name=data["last_name"],
            first_name=data["first_name"],
            middle_name=data["middle_name"],
            birth_date=data["birth_date"],
            snils=data["snils"],
            inn=data["inn"],
            passport=data["passport"],
            phone=data["phone"],
            email=data["email"],
        )

    @classmethod
    def initial_from(cls, person: PersonData) -> dict:
        """Re-filling the form from a pending registration («Изменить данные»)."""
        initial = person.to_json()
        initial["birth_date"] = person.birth_date.strftime("%d.%m.%Y")
        return initial


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Код подтверждения"),
        help_text=gettext_lazy("6 цифр из SMS"),
        max_length=16,
        error_messages=_messages(gettext_lazy("Введите код из SMS.")),
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
        if not CODE_PATTERN.fullmatch(code):
            raise ValidationError(_("Код состоит из 6 цифр."))
        return code


class PersonalDataForm(forms.Form):
    """Correcting the data the registry did not confirm."""

    last_name = name_field(
        gettext_lazy("Фамилия"), required_message=gettext_lazy("Укажите фамилию.")
    )
    first_name = name_field(gettext_lazy("Имя"), required_message=gettext_lazy("Укажите имя."))
    middle_name = name_field(
        gettext_lazy("Отчество"), required=False, help_text=gettext_lazy("Если есть")
    )
    birth_date = birth_date_field()
    snils = snils_field()
    passport = passport_field()

    def __init__(self, account: Account, *args, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, account: Account) -> dict:
        return {
            "last_name": account.last_name,
            "first_name": account.first_name,
            "middle_name": account.middle_name,
            "birth_date": account.birth_date.strftime("%d.%m.%Y") if account.birth_date else "",
            "snils": account.snils_display,
            "passport": account.passport_display,
        }
