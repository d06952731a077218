"""Words for the citizen's own «журнал активности».

The journal shows the patient's events from the audit journal (egisz.common.audit), each
by the Russian label of its action in ``egisz.cabinet.audit_actions.CabinetAction``. A row
whose action no vocabulary names (written by an older version) is shown as «Действие в
кабинете».
"""

from django.utils.translation import gettext_lazy as _

from egisz.common.audit import vocabulary

DEFAULT_LABEL = _("Действие в кабинете")


def activity_label(action: str):
    return vocabulary.label(action, DEFAULT_LABEL)
