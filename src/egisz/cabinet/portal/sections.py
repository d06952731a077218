"""The cabinet's sections: the one list behind the left menu. Adding a section is one entry
here; a section appears only once its pages exist (its URL name resolves to a view)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    key: str  # what a view passes as ``section`` to mark the current one
    label: str
    url_name: str
    in_limited_mode: bool = False  # needs no personal data

    @property
    def url(self) -> str:
        return reverse(self.url_name)


SECTIONS: list[Section] = [
    Section("home", _("Главная"), "portal:home", in_limited_mode=True),
    Section("personal", _("Личные данные"), "patients:personal_data"),
    Section("policy", _("Полис ОМС и прикрепление"), "organizations:policy"),
    Section("organizations", _("Медицинские организации"), "organizations:directory", True),
    Section("activity", _("Журнал активности"), "patients:activity"),
    Section("settings", _("Настройки"), "notifications:settings"),
    Section("about", _("О системе"), "portal:about", in_limited_mode=True),
]


def visible_sections(*, full_access: bool) -> list[Section]:
    return [section for section in SECTIONS if full_access or section.in_limited_mode]
