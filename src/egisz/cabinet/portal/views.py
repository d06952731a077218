from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from egisz.cabinet.patients.access import current_patient
from egisz.cabinet.portal.limited import level_label, limited_mode
from egisz.cabinet.portal.panels import home_panels


@require_GET
def home(request):
    """«Главная»: the patient's panels; in limited mode why and what is still open; for a
    visitor, the way in."""
    patient = current_patient(request)
    if patient is not None:
        context = {"section": "home", "panels": home_panels(request, patient)}
        return render(request, "cabinet/home.html", context)
    limited = limited_mode(request)
    if limited is not None:
        context = {
            "section": "home",
            "limited_level_label": level_label(limited.level),
            # A standard account has its documents checked already: only the last step.
            "documents_checked": limited.level.rsplit(":", 1)[-1] == "standard",
            "idp_account_url": settings.IDP_ACCOUNT_URL,
        }
        return render(request, "cabinet/limited_home.html", context)
    return render(request, "cabinet/landing.html", {"section": "home"})


@require_GET
def about(request):
    return render(request, "cabinet/about.html", {"section": "about"})
