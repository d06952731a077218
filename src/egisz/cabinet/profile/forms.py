"""Forms of the profile: what the first login asks for, and a correction of name or date
of birth. Each reports its problems in Russian next to the field concerned."""

import unicodedata
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.cabinet.documents.models import StoredDocument
from egisz.cabinet.documents.uploads import DocumentFileField, document_hint
from egisz.common.identifiers import normalize_person_name, normalize_personal_inn

MAX_WORKPLACE = 255
MAX_COMMENT = 1000
MAX_AGE_YEARS = 120

#: form field -> kind of document it stores
SCAN_FIELDS = {
    "passport_scan": StoredDocument.Kind.PASSPORT,
    "snils_scan": StoredDocument.Kind.SNILS,
    "employment_record_scan": StoredDocument.Kind.EMPLOYMENT_RECORD,
}
#: scans the profile needs; the employment record is optional (not everyone has one)
REQUIRED_SCANS = ("passport_scan", "snils_scan")


def _no_control_characters(text: str) -> str:
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs"} for ch in text):
        raise ValidationError(_("Уберите из текста непечатаемые символы."))
    return " ".join(text.split())


class ProfileForm(forms.Form):
    inn = forms.CharField(
        label=gettext_lazy("ИНН"),
        max_length=32,
        help_text=gettext_lazy(
            "12 цифр. ИНН можно узнать на сайте ФНС (nalog.gov.ru) или в разделе "
            "«Документы» на Госуслугах."
        ),
        error_messages={"required": gettext_lazy("Укажите ИНН.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    workplace = forms.CharField(
        label=gettext_lazy("Место работы или учёбы"),
        max_length=MAX_WORKPLACE,
        help_text=gettext_lazy(
            "Организация и должность или учебное заведение; если не работаете и не "
            "учитесь, так и напишите: «не работаю»."
        ),
        error_messages={
            "required": gettext_lazy("Укажите место работы или учёбы."),
            "max_length": gettext_lazy("Не длиннее 255 символов."),
        },
    )
    passport_scan = DocumentFileField(
        label=gettext_lazy("Скан паспорта"),
        error_messages={"required": gettext_lazy("Загрузите скан паспорта.")},
    )
    snils_scan = DocumentFileField(
        label=gettext_lazy("Скан СНИЛС"),
        error_messages={"required": gettext_lazy("Загрузите скан СНИЛС.")},
    )
    employment_record_scan = DocumentFileField(
        label=gettext_lazy("Скан трудовой книжки"),
        required=False,
    )

    def __init__(self, *args, patient, documents: dict, **kwargs):
        kwargs.setdefault("initial", {"inn": patient.inn, "workplace": patient.workplace})
        super().__init__(*args, **kwargs)
        self.patient = patient  # named in the journal if an upload is infected
        self.documents = documents
        hint = document_hint()
        for name, kind in SCAN_FIELDS.items():
            field = self.fields[name]
            existing = documents.get(kind)
            field.required = name in REQUIRED_SCANS and existing is None
            extra = ""
            if existing is not None:
                extra = " " + _("Уже загружен; чтобы заменить, выберите новый файл.")
            elif name == "employment_record_scan":
                extra = " " + _(
                    "Необязательно: трудовая книжка есть не у всех (например, у студентов "
                    "или у тех, кто перешёл на электронную трудовую книжку)."
                )
            field.help_text = hint + extra

    def clean_inn(self):
        return normalize_personal_inn(self.cleaned_data["inn"])

    def clean_workplace(self):
        text = _no_control_characters(self.cleaned_data["workplace"])
        if len(text) < 2:
            raise ValidationError(_("Укажите место работы или учёбы."))
        return text

    def scans(self) -> dict:
        """kind -> CheckedUpload for every file chosen in this submission."""
        return {
            kind: self.cleaned_data[name]
            for name, kind in SCAN_FIELDS.items()
            if self.cleaned_data.get(name) is not None
        }

    def scan_rows(self):
        """(bound field, the current document or None) for the template."""
        return [(self[name], self.documents.get(kind)) for name, kind in SCAN_FIELDS.items()]


class CorrectionForm(forms.Form):
    """The patient's name and date of birth as they should be, with the document proving
    it. Prefilled with the current values; only what differs is requested."""

    last_name = forms.CharField(
        label=gettext_lazy("Фамилия"),
        max_length=100,
        error_messages={"required": gettext_lazy("Укажите фамилию.")},
    )
    first_name = forms.CharField(
        label=gettext_lazy("Имя"),
        max_length=100,
        error_messages={"required": gettext_lazy("Укажите имя.")},
    )
    middle_name = forms.CharField(
        label=gettext_lazy("Отчество"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Если отчества нет, оставьте поле пустым."),
    )
    birth_date = forms.DateField(
        label=gettext_lazy("Дата рождения"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": gettext_lazy("Укажите дату рождения."),
            "invalid": gettext_lazy("Укажите дату в виде ДД.ММ.ГГГГ, например 12.04.1985."),
        },
    )
    document = DocumentFileField(
        label=gettext_lazy("Подтверждающий документ"),
        error_messages={
            "required": gettext_lazy(
                "Приложите документ, подтверждающий исправление (например, паспорт или "
                "свидетельство о браке)."
            )
        },
    )
    comment = forms.CharField(
        label=gettext_lazy("Комментарий"),
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Что исправить и почему, например: «Сменила фамилию после брака, прилагаю "
            "свидетельство о браке»."
        ),
        error_messages={
            "required": gettext_lazy("Кратко опишите, что и почему нужно исправить."),
            "max_length": gettext_lazy("Не длиннее 1000 символов."),
        },
    )

    FIELDS = ("last_name", "first_name", "middle_name", "birth_date")

    def __init__(self, *args, patient, **kwargs):
        self.patient = patient
        kwargs.setdefault(
            "initial",
            {
                "last_name": patient.last_name,
                "first_name": patient.first_name,
                "middle_name": patient.middle_name,
                "birth_date": patient.birth_date,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = document_hint()

    def clean_last_name(self):
        return normalize_person_name(self.cleaned_data["last_name"])

    def clean_first_name(self):
        return normalize_person_name(self.cleaned_data["first_name"])

    def clean_middle_name(self):
        text = self.cleaned_data["middle_name"]
        return normalize_person_name(text) if text.strip() else ""

    def clean_birth_date(self):
        value: date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if value >= today:
            raise ValidationError(_("Дата рождения должна быть в прошлом."))
        if today.year - value.year > MAX_AGE_YEARS:
            raise ValidationError(_("Проверьте год рождения."))
        return value

    def clean_comment(self):
        text = self.cleaned_data["comment"]
        if any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\r\n\t" for ch in text):
            raise ValidationError(_("Уберите из текста непечатаемые символы."))
        return text.strip()

    def clean(self):
        cleaned = super().clean()
        if all(name in cleaned for name in self.FIELDS) and not self.changes():
            raise ValidationError(
                _(
                    "Измените хотя бы одно поле — фамилию, имя, отчество или дату рождения: "
                    "сейчас указаны те же данные, что уже есть в кабинете."
                )
            )
        return cleaned

    def changes(self) -> dict:
        """field -> new value (dates in ISO) for the fields that differ from the patient's."""
        result = {}
        for name in self.FIELDS:
            new = self.cleaned_data.get(name)
            if new != getattr(self.patient, name):
                result[name] = new.isoformat() if isinstance(new, date) else new
        return result
