"""The operator console's login: Django's admin login behind an IP throttle and a
per-username lockout, every attempt journalled (see journal.py)."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_ratelimit.core import is_ratelimited

from egisz.cabinet.staff import journal, lockout
from egisz.common.request_meta import RequestMeta

THROTTLE_GROUP = "cabinet-operator-login"


def refused(request):
    """«Слишком много попыток входа»: the IP throttle and the username lockout alike."""
    return render(request, "staff/login_refused.html", status=429)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def operator_login(request):
    if request.method != "POST":
        return admin.site.login(request)
    username = request.POST.get(get_user_model().USERNAME_FIELD, "")
    password_given = bool(request.POST.get("password"))
    if is_ratelimited(
        request,
        group=THROTTLE_GROUP,
        key="ip",
        rate=settings.OPERATOR_LOGIN_IP_RATE,
        method=is_ratelimited.ALL,
        increment=True,
    ):
        journal.record_failure(request, username=username, reason="rate_limited")
        return refused(request)
    if lockout.is_locked(username):
        journal.record_failure(request, username=username, reason="locked")
        return refused(request)

    journal.mark_operator_login(request)
    response = admin.site.login(request)

    if journal.staff_logged_in_now(request):
        lockout.clear(username)
        return response
    if not journal.failure_journalled(request):
        # No password check failed, yet no staff login either: a field left empty, or a
        # user whose password is right but who is not (active) staff, e.g. a patient.
        reason = "not_staff" if username.strip() and password_given else "incomplete"
        journal.record_failure(request, username=username, reason=reason)
    if username.strip() and password_given:
        lockout.register_failure(username, meta=RequestMeta.from_request(request))
    return response
