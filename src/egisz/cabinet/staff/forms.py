from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from egisz.cabinet.staff.models import StaffProfile
from egisz.common.identifiers import normalize_mobile_phone


class StaffProfileForm(forms.ModelForm):
    """The admin's form: the phone in any Russian mobile format, stored in E.164."""

    class Meta:
        model = StaffProfile
        fields = ["user", "phone"]

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "")
        if not raw.strip():
            return ""
        phone = normalize_mobile_phone(raw)
        taken = StaffProfile.objects.filter(phone=phone)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("Этот номер уже указан у другого сотрудника."))
        return phone
