from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.cabinet.organizations.insurers import INSURERS, OTHER, OTHER_LABEL
from egisz.cabinet.organizations.models import Attachment, MedicalOrganization
from egisz.common.identifiers import normalize_enp

MAX_QUERY = 100


class DirectorySearchForm(forms.Form):
    """The directory's filters (GET). A bad value is reported and that filter skipped."""

    q = forms.CharField(
        label=gettext_lazy("Название"),
        required=False,
        max_length=MAX_QUERY,
        error_messages={"max_length": gettext_lazy("Слишком длинный запрос: до 100 символов.")},
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    region = forms.ChoiceField(
        label=gettext_lazy("Регион"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Такого региона нет в справочнике.")},
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Тип"),
        required=False,
        choices=[("", gettext_lazy("Все типы")), *MedicalOrganization.Kind.choices],
        error_messages={"invalid_choice": gettext_lazy("Такого типа нет в справочнике.")},
    )

    def __init__(self, *args, regions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("Все регионы")), *regions]

    def filters(self) -> dict[str, str]:
        """The valid filters only (call after is_valid())."""
        data = getattr(self, "cleaned_data", {})
        return {
            "query": data.get("q", ""),
            "region": data.get("region", ""),
            "kind": data.get("kind", ""),
        }


class PolicyForm(forms.Form):
    enp = forms.CharField(
        label=gettext_lazy("Номер полиса ОМС (ЕНП)"),
        help_text=gettext_lazy("16 цифр: они есть на полисе и в выписке о полисе ОМС."),
        max_length=40,
        error_messages={
            "required": gettext_lazy("Укажите номер полиса ОМС."),
            "max_length": gettext_lazy("Номер полиса ОМС (ЕНП) состоит из 16 цифр."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    insurer = forms.ChoiceField(
        label=gettext_lazy("Страховая медицинская организация"),
        choices=[
            ("", gettext_lazy("Выберите из списка")),
            *[(name, name) for name in INSURERS],
            (OTHER, OTHER_LABEL),
        ],
        error_messages={
            "required": gettext_lazy("Выберите страховую медицинскую организацию."),
            "invalid_choice": gettext_lazy("Выберите страховую организацию из списка."),
        },
    )
    insurer_other = forms.CharField(
        label=gettext_lazy("Название страховой организации"),
        help_text=gettext_lazy("Если выбрано «Другая»: как написано на полисе."),
        required=False,
        max_length=255,
        error_messages={"max_length": gettext_lazy("Не длиннее 255 символов.")},
    )

    @classmethod
    def initial_for(cls, policy) -> dict:
        if policy is None:
            return {}
        if policy.insurer in INSURERS:
            return {"enp": policy.enp_display, "insurer": policy.insurer}
        return {"enp": policy.enp_display, "insurer": OTHER, "insurer_other": policy.insurer}

    def clean_enp(self):
        return normalize_enp(self.cleaned_data["enp"])

    def clean(self):
        data = super().clean()
        if data.get("insurer") == OTHER:
            name = " ".join(data.get("insurer_other", "").split())
            if not name:
                self.add_error(
                    "insurer_other",
                    ValidationError(_("Укажите название страховой организации, как на полисе.")),
                )
            data["insurer_other"] = name
        return data

    def insurer_name(self) -> str:
        data = self.cleaned_data
        return data["insurer_other"] if data["insurer"] == OTHER else data["insurer"]


class DecisionForm(forms.Form):
    """The operator's decision on one request: accept, or reject saying why."""

    ACCEPT, REJECT = "accept", "reject"

    decision = forms.ChoiceField(
        label=gettext_lazy("Решение"),
        choices=[(ACCEPT, gettext_lazy("Принять")), (REJECT, gettext_lazy("Отклонить"))],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Выберите решение.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Причина отказа"),
        help_text=gettext_lazy("Обязательна при отказе; пациент увидит её в уведомлении."),
        required=False,
        max_length=Attachment._meta.get_field("reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        data["reason"] = " ".join(data.get("reason", "").split())
        if data.get("decision") == self.REJECT and not data["reason"]:
            self.add_error("reason", _("Укажите причину отказа: её увидит пациент."))
        return data
