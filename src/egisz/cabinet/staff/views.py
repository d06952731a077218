"""The operator console's login, in two steps.

1. /operator/login/ — Django's admin form (username + password) behind an IP throttle and a
   per-username lockout, every attempt journalled (journal.py). Right credentials of an
   active member of staff log nobody in: they start the plan of the stages that follow in
   this session (pending.py, stages.py: an SMS code to the staff member's phone).
2. /operator/login/code/ — the current stage; after the last one the login is finished in
   one transaction (services.finish_login: Django's login, new session key) and goes on to
   ``next`` (a local path) or the console. Code checks are throttled per
   IP, and wrong codes count toward the same username lockout as wrong passwords.
"""

import math
from dataclasses import replace

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from egisz.cabinet.staff import journal, lockout, pending, selectors, services
from egisz.cabinet.staff import stages as staff_stages
from egisz.common.codes.services import code_lifetime_sentence
from egisz.common.flow import redirects
from egisz.common.flow.forms import CodeForm
from egisz.common.flow.throttle import too_many_attempts
from egisz.common.identifiers import mask_phone
from egisz.common.request_meta import RequestMeta

THROTTLE_GROUP = "cabinet-operator-login"
CODE_THROTTLE_GROUP = "cabinet-operator-login-code"


def refused(request):
    """«Слишком много попыток входа»: the IP throttles and the username lockout alike."""
    return render(request, "staff/login_refused.html", status=429)


def console_url() -> str:
    return reverse("admin:index", current_app=admin.site.name)


def safe_next(request) -> str:
    """``next`` when it is a local path of this site, otherwise the console's index."""
    value = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    return redirects.safe_next(request, value, console_url())


def wait_text(seconds: int) -> str:
    """When a new code may be asked for (the wording of the cabinet's other code pages)."""
    if seconds > 120:
        return _("Новый код можно запросить через %(n)d мин.") % {"n": math.ceil(seconds / 60)}
    return _("Новый код можно запросить через %(n)d с.") % {"n": max(seconds, 1)}


# --- step 1: username and password ---------------------------------------------------------


def _password_page(request, form, *, status: int = 200):
    """Django's admin login page, as admin.site.login renders it."""
    request.current_app = admin.site.name
    context = {
        **admin.site.each_context(request),
        "title": _("Вход в консоль оператора"),
        "subtitle": None,
        # The form posts to the bare path: ``next`` travels in its hidden field, checked.
        "app_path": request.path,
        "username": request.user.get_username(),
        "form": form,
        REDIRECT_FIELD_NAME: safe_next(request),
    }
    return TemplateResponse(request, "admin/login.html", context, status=status)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def operator_login(request):
    if request.method != "POST":
        if admin.site.has_permission(request):
            return redirect(console_url())  # already in, as the admin's own login does
        return _password_page(request, AdminAuthenticationForm(request))
    username = request.POST.get(get_user_model().USERNAME_FIELD, "")
    password_given = bool(request.POST.get("password"))
    if too_many_attempts(request, group=THROTTLE_GROUP, rate=settings.OPERATOR_LOGIN_IP_RATE):
        journal.record_failure(request, username=username, reason="rate_limited")
        return refused(request)
    journal.mark_operator_login(request)  # a wrong password is journalled by the signal
    form = AdminAuthenticationForm(request, data=request.POST)
    # The username's lock row is held through the password check (the slow hash): a guess
    # in flight when another locks the username waits, then sees the lock.
    with transaction.atomic():
        held = lockout.hold(username)
        if held.locked_until:
            journal.record_failure(request, username=username, reason="locked")
            return refused(request)
        if form.is_valid():
            return _password_accepted(request, form)
        if not journal.failure_journalled(request):
            # No password check failed, yet the form refused: a field left empty, or a user
            # whose password is right but who is not (active) staff, e.g. a patient.
            reason = "not_staff" if username.strip() and password_given else "incomplete"
            journal.record_failure(request, username=username, reason=reason)
        if username.strip() and password_given:
            lockout.count_failure(held, username, meta=RequestMeta.from_request(request))
    return _password_page(request, form)


def _password_accepted(request, form):
    """Right credentials of active staff: nobody is logged in yet; the plan of the stages
    that follow starts (the SMS code goes out)."""
    user = form.get_user()
    plan = staff_stages.plan_for(user)
    if not plan:
        journal.record_failure(request, username=user.get_username(), reason="no_phone")
        form.add_error(None, no_phone_message())
        return _password_page(request, form, status=403)
    pending.start(request, user_id=user.pk, next_url=safe_next(request), stages=plan)
    staff_stages.stages()[plan[0]].begin(request, user)
    return redirect("staff:login_code")


def no_phone_message() -> str:
    return _("Для входа в консоль нужен номер телефона для кодов. Обратитесь к администратору.")


# --- step 2: the code ----------------------------------------------------------------------


def _pending_staff(request):
    """(pending login, user, phone) of this session, or a response that sends the browser
    back to the password step."""
    state, expired = pending.load(request)
    if state is None:
        if expired:
            messages.warning(request, _("Время на вход истекло. Начните заново."))
        return None, redirect("staff:login")
    user = selectors.active_staff(state.user_id)
    if user is None:
        pending.clear(request)
        return None, redirect("staff:login")
    phone = selectors.staff_phone(user)
    if not phone:
        # The phone was taken away after the password step.
        pending.clear(request)
        journal.record_failure(request, username=user.get_username(), reason="no_phone")
        messages.error(request, no_phone_message())
        return None, redirect("staff:login")
    if lockout.STAFF.locked_until(lockout.keys(user.get_username())):
        pending.clear(request)
        journal.record_failure(request, username=user.get_username(), reason="locked")
        return None, refused(request)
    return (state, user, phone), None


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def operator_login_code(request):
    found, answer = _pending_staff(request)
    if found is None:
        return answer
    state, user, phone = found
    form = CodeForm(request.POST or None)
    wait = request.session.pop(pending.WAIT_KEY, 0)
    context = {
        "form": form,
        "masked_phone": mask_phone(phone),
        "code_lifetime": code_lifetime_sentence(),
        "wait_message": wait_text(wait) if wait else "",
    }
    if request.method != "POST":
        return render(request, "staff/login_code.html", context)
    meta = RequestMeta.from_request(request)
    if too_many_attempts(request, group=CODE_THROTTLE_GROUP, rate=settings.CODE_IP_RATE):
        services.record_code_refused(user=user, meta=meta, reason="rate_limited")
        return refused(request)
    if not form.is_valid():
        return render(request, "staff/login_code.html", context, status=400)
    stage = staff_stages.stages()[state.stages[0]]
    with transaction.atomic():
        # The check and the login are one transaction holding the username's lock row: a
        # right code in flight when wrong ones lock the username is refused.
        result = services.check_stage(
            user=user, stage=stage, answer=form.cleaned_data["code"], meta=meta
        )
        if result.ok and len(state.stages) == 1:
            pending.clear(request)
            services.finish_login(request, user=user)
            return redirect(state.next_url)
    if result.ok:
        pending.save(request, replace(state, stages=state.stages[1:]))
        staff_stages.stages()[state.stages[1]].begin(request, user)
        return redirect("staff:login_code")
    if result.locked:
        pending.clear(request)
        if not result.just_locked:
            journal.record_failure(request, username=user.get_username(), reason="locked")
        return refused(request)
    form.add_error("code", result.message)
    return render(request, "staff/login_code.html", context, status=400)


@require_POST
@csrf_protect
@never_cache
def operator_login_resend(request):
    """«Отправить код ещё раз», within the resend interval and the hourly limit."""
    found, answer = _pending_staff(request)
    if found is None:
        return answer
    state, user, _phone = found
    if too_many_attempts(request, group=CODE_THROTTLE_GROUP, rate=settings.CODE_IP_RATE):
        services.record_code_refused(
            user=user, meta=RequestMeta.from_request(request), reason="rate_limited"
        )
        return refused(request)
    staff_stages.stages()[state.stages[0]].begin(request, user, resend=True)
    return redirect("staff:login_code")
