from django.utils.translation import gettext_lazy as _

from egisz.cabinet.organizations import selectors
from egisz.cabinet.portal.panels import Panel


def policy_panel(request, patient) -> Panel:
    """«Главная»: the ЕНП, the insurer and the attachment (or what to do next)."""
    return Panel(
        "organizations/panel.html",
        _("Полис ОМС и прикрепление"),
        {"status": selectors.attachment_status(patient)},
    )
