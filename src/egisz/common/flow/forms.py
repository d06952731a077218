from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """The answer to a stage that asks for a code (SMS, an app, a recovery code)."""

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
