"""Forms of the recovery flow and the security settings pages."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.common.identifiers import normalize_email, normalize_mobile_phone

MAX_CONTACT = 254
MAX_PASSWORD = 128


class RecoveryContactForm(forms.Form):
    """The phone or e-mail the account is registered with. Cleans to (channel, contact)."""

    contact = forms.CharField(
        label=gettext_lazy("Телефон или электронная почта"),
        max_length=MAX_CONTACT,
        help_text=gettext_lazy(
            "Номер мобильного телефона или адрес почты, указанные в учётной записи."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def clean_contact(self):
        text = self.cleaned_data["contact"]
        if any(ord(ch) < 32 for ch in text):
            raise ValidationError(_("Укажите номер телефона или адрес электронной почты."))
        if "@" in text:
            return "email", normalize_email(text)
        try:
            return "sms", normalize_mobile_phone(text)
        except ValidationError as exc:
            raise ValidationError(
                _(
                    "Укажите номер мобильного телефона (например, +7 916 123-45-67) "
                    "или адрес электронной почты."
                )
            ) from exc


class PasswordConfirmForm(forms.Form):
    """The current password, asked again before a sensitive change."""

    password = forms.CharField(
        label=gettext_lazy("Текущий пароль"),
        max_length=MAX_PASSWORD,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, account, *args, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.account.check_password(password):
            raise ValidationError(_("Текущий пароль введён неверно."))
        return password


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Код из приложения"),
        max_length=16,
        help_text=gettext_lazy("6 цифр, которые показывает приложение сейчас."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "class": "code-input"}
        ),
    )
