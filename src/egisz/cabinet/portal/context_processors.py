from egisz.cabinet.patients.access import current_patient
from egisz.cabinet.portal.limited import limited_mode
from egisz.cabinet.portal.sections import visible_sections


def cabinet(request):
    """The menu and the visitor's mode for every cabinet page."""
    patient = current_patient(request)
    return {
        "patient": patient,
        "limited": limited_mode(request) if patient is None else None,
        "menu_sections": visible_sections(full_access=patient is not None),
    }
