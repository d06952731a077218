from django.utils.translation import gettext_lazy as _

from egisz.cabinet.portal.panels import Panel
from egisz.cabinet.profile.selectors import profile_completeness


def completeness_panel(request, patient) -> Panel:
    """«Главная»: how complete the profile is and what is still missing."""
    return Panel(
        "profile/panel.html",
        _("Профиль"),
        {"completeness": profile_completeness(patient)},
    )
