"""Who may see a patient's pages: the logged-in patient, in full mode, and only their own."""

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from egisz.cabinet.patients.models import Patient


def current_patient(request) -> Patient | None:
    """The patient of the logged-in user, or None (anonymous, limited mode, staff)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(request, "_cached_patient"):
        request._cached_patient = Patient.objects.filter(user=user).first()
    return request._cached_patient


def patient_required(view):
    """Views of personal data: a patient in full mode, else to the login (anonymous) or to
    «Главная» of the limited mode, which says why. The view gets ``patient`` as keyword."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        patient = current_patient(request)
        if patient is None:
            from egisz.cabinet.portal.limited import limited_mode

            if limited_mode(request) is not None:
                return redirect("portal:home")
            login = reverse("sso:login")
            if request.method == "GET":
                login += "?" + urlencode({"next": request.get_full_path()})
            return redirect(login)
        return view(request, *args, patient=patient, **kwargs)

    return wrapper
