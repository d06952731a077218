from egisz.cabinet.patients.access import current_patient
from egisz.cabinet.portal.limited import limited_mode
from egisz.cabinet.portal.section_context import remembered_urls
from egisz.cabinet.portal.sections import visible_sections


def cabinet(request):
    """The menu (each link back to where the person left that section) and the visitor's
    mode, for every cabinet page."""
    patient = current_patient(request)
    remembered = remembered_urls(request)
    menu = [
        {
            "key": section.key,
            "label": section.label,
            "url": remembered.get(section.key) or section.url,
        }
        for section in visible_sections(full_access=patient is not None)
    ]
    return {
        "patient": patient,
        "limited": limited_mode(request) if patient is None else None,
        "menu_sections": menu,
    }
