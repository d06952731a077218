from django import forms
from django.utils.translation import gettext_lazy as _

MAX_IDENTIFIER = 254
MAX_PASSWORD = 128


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Телефон, почта или СНИЛС"),
        max_length=MAX_IDENTIFIER,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Пароль"),
        max_length=MAX_PASSWORD,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Код подтверждения"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "code-input",
                "autofocus": True,
            }
        ),
    )


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Резервный код"),
        max_length=32,
        help_text=_("Один из кодов, которые вы сохранили при подключении приложения."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
