from django.utils.translation import gettext_lazy as _

from egisz.cabinet.notifications import selectors
from egisz.cabinet.portal.panels import Panel


def notifications_panel(request, patient) -> Panel:
    return Panel(
        "notifications/panel.html",
        _("Уведомления"),
        {
            "items": selectors.inbox(patient=patient, limit=5),
            "unread": selectors.unread_count(patient=patient),
        },
    )
