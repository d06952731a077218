"""Forms of the operator tools."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.common.identifiers import normalize_personal_inn
from egisz.idp.accounts import selectors
from egisz.idp.accounts.forms import (
    birth_date_field,
    email_field,
    name_field,
    numeric_field,
    passport_field,
    phone_field,
    snils_field,
)
from egisz.idp.accounts.models import IdentityConfirmation
from egisz.idp.accounts.services import PersonData


class OperatorAccountForm(forms.Form):
    """A citizen's data as the operator reads it from the documents in front of them."""

    last_name = name_field(
        gettext_lazy("Фамилия"), required_message=gettext_lazy("Укажите фамилию.")
    )
    first_name = name_field(gettext_lazy("Имя"), required_message=gettext_lazy("Укажите имя."))
    middle_name = name_field(gettext_lazy("Отчество"), required=False)
    birth_date = birth_date_field()
    snils = snils_field()
    passport = passport_field()
    inn = numeric_field(
        gettext_lazy("ИНН"), normalize=normalize_personal_inn, max_length=20, required=False
    )
    phone = phone_field(gettext_lazy("На него придёт SMS с временным паролем."))
    email = email_field()

    # An operator works with the person in front of them, so saying which identifier is
    # taken reveals nothing to a stranger.
    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if selectors.phone_in_use(phone):
            raise ValidationError(_("С этим номером уже есть учётная запись."))
        return phone

    def clean_snils(self):
        snils = self.cleaned_data["snils"]
        if selectors.snils_checked_elsewhere(snils):
            raise ValidationError(_("С этим СНИЛС уже есть учётная запись."))
        return snils

    def clean_email(self):
        email = self.cleaned_data["email"]
        if selectors.email_confirmed_elsewhere(email):
            raise ValidationError(_("Этот адрес уже указан в другой учётной записи."))
        return email

    def person(self) -> PersonData:
        data = self.cleaned_data
        return PersonData(**{name: data[name] for name in PersonData.__dataclass_fields__})


class ConfirmIdentityForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("Способ подтверждения"),
        choices=IdentityConfirmation.Method.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Выберите способ подтверждения.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Примечание"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Например: паспорт предъявлен, данные совпадают."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    documents_checked = forms.BooleanField(
        label=gettext_lazy(
            "Я проверил паспорт: фотография совпадает с человеком, ФИО, дата рождения, серия "
            "и номер совпадают с учётной записью"
        ),
        error_messages={"required": gettext_lazy("Подтвердите, что паспорт проверен.")},
    )
