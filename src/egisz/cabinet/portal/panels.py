"""Panels of «Главная». Each is a callable (request, patient) -> Panel | None listed in
settings.HOME_PANELS; a later section (requests, documents) adds its own the same way."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


@dataclass
class Panel:
    template: str
    title: str
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class QuickLink:
    label: str
    url_name: str


QUICK_LINKS = [
    QuickLink(_("Заполнить или проверить личные данные"), "patients:personal_data"),
    QuickLink(_("Указать полис ОМС"), "organizations:policy"),
    QuickLink(_("Найти медицинскую организацию"), "organizations:directory"),
    QuickLink(_("Настроить уведомления"), "notifications:settings"),
]


def quick_links_panel(request, patient) -> Panel:
    return Panel("cabinet/panels/quick_links.html", _("Частые действия"), {"links": QUICK_LINKS})


def home_panels(request, patient) -> list[Panel]:
    panels = []
    for path in settings.HOME_PANELS:
        panel = import_string(path)(request, patient)
        if panel is not None:
            panels.append(panel)
    return panels
