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
