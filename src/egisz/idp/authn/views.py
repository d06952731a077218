"""Login stages: identifier and password, then the one-time code, then required actions."""

import math
import secrets

from django.conf import settings
from django.contrib.auth import logout
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from egisz.common.codes.services import code_lifetime_sentence
from egisz.common.flow.forms import CodeForm
from egisz.common.flow.redirects import safe_next
from egisz.common.flow.throttle import too_many_attempts
from egisz.common.identifiers import mask_phone
from egisz.common.request_meta import RequestMeta
from egisz.idp.accounts.models import Account
from egisz.idp.authn import plan as login_plan
from egisz.idp.authn import policy, services, sessions
from egisz.idp.authn import stages as stages_module
from egisz.idp.authn.forms import LoginForm
from egisz.idp.authn.models import Method
from egisz.idp.authn.passwords import SetPasswordForm, change_temporary_password
from egisz.idp.authn.services import Outcome
from egisz.idp.authn.throttle import rate_limited
from egisz.idp.oidc.models import SignOutReason

DEVICE_COOKIE = "egisz_idp_device"
RESUME_KEY = "egisz_resume_after_login"
DEVICE_COOKIE_AGE = 400 * 24 * 3600


def locked_message(locked_until) -> str:
    minutes = max(1, math.ceil((locked_until - timezone.now()).total_seconds() / 60))
    until = timezone.localtime(locked_until).strftime("%H:%M")
    return ngettext(
        "Учётная запись временно заблокирована после нескольких неудачных попыток входа. "
        "Повторите вход через %(minutes)d минуту (в %(until)s) или восстановите пароль.",
        "Учётная запись временно заблокирована после нескольких неудачных попыток входа. "
        "Повторите вход через %(minutes)d минут (в %(until)s) или восстановите пароль.",
        minutes,
    ) % {"minutes": minutes, "until": until}


def login_view(request):
    default_next = reverse(settings.LOGIN_REDIRECT_URL)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), default_next)
    # prompt=login (from an OpenID Connect client, or max_age) asks for a fresh login even
    # when a session exists; the new login replaces it.
    fresh_login_asked = request.GET.get("prompt") == "login"
    if request.user.is_authenticated and request.method == "GET" and not fresh_login_asked:
        return redirect(next_url)
    form = LoginForm(
        request.POST or None, initial={"identifier": request.GET.get("login_hint", "")[:254]}
    )
    context = {"form": form, "next": next_url}
    if request.method != "POST":
        return render(request, "authn/login.html", context)
    if too_many_attempts(request, group="login-password", rate=settings.LOGIN_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return render(request, "authn/login.html", context, status=400)
    meta = RequestMeta.from_request(request)
    result = services.check_password_stage(
        identifier=form.cleaned_data["identifier"],
        password=form.cleaned_data["password"],
        meta=meta,
    )
    if result.outcome is Outcome.LOCKED:
        form.add_error(None, locked_message(result.locked_until))
        return render(request, "authn/login.html", context, status=403)
    if result.outcome is Outcome.INVALID:
        form.add_error(None, _("Неверный логин или пароль"))
        return render(request, "authn/login.html", context, status=401)
    account = result.account
    stages, ways = policy.second_step(account)
    plan = login_plan.start(
        request,
        account_id=account.pk,
        next_url=next_url,
        stages=stages,
        ways=ways,
        lock_keys=list(result.lock_keys),
        kind=result.kind,
    )
    policy.stages()[plan.current].begin(request, account)
    return redirect("authn:code")


def _plan_and_account(request):
    plan = login_plan.load(request)
    if plan is None or plan.current not in policy.stages():
        return None, None
    account = Account.objects.filter(pk=plan.account_id, is_active=True).first()
    if account is None:
        login_plan.clear(request)
        return None, None
    return plan, account


def code_view(request):
    """The current stage of the plan (a code from SMS, the app, a recovery code)."""
    plan, account = _plan_and_account(request)
    if plan is None:
        return redirect(f"{reverse('authn:login')}?expired=1")
    stage = policy.stages()[plan.current]
    form = CodeForm(request.POST or None)
    if stage.name == policy.RECOVERY:
        form.fields["code"].label = _("Резервный код")
    context = {
        "form": form,
        "factor": stage.name,
        "masked_phone": mask_phone(account.phone),
        "code_lifetime": code_lifetime_sentence(),
        # The other ways offered («sms» is another name of the fallback, not shown twice).
        "ways": [
            name for name, ways in plan.ways.items() if ways != plan.stages and name != policy.SMS
        ],
        "fallback": plan.strong_enrolled and plan.passed + plan.stages == policy.FALLBACK,
        "has_app": plan.strong_enrolled,
        "wait_seconds": request.session.pop(stages_module.CODE_WAIT_KEY, 0),
    }
    if request.method != "POST":
        return render(request, "authn/code.html", context)
    if too_many_attempts(request, group="login-code", rate=settings.CODE_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return render(request, "authn/code.html", context, status=400)
    meta = RequestMeta.from_request(request)
    # The check and, after the last stage, the whole finishing of the login are one
    # transaction holding the identifier's lock rows (services.check_stage).
    with transaction.atomic():
        result = services.check_stage(
            account=account,
            stage=stage,
            answer=form.cleaned_data["code"],
            meta=meta,
            lock_keys=plan.lock_keys,
            kind=plan.kind,
        )
        if result.ok:
            plan.passed.append(plan.stages.pop(0))
            if not plan.stages:
                login_plan.clear(request)
                return _finish_plan(request, plan, account, held=result.held)
    if result.locked_until:
        login_plan.clear(request)
        context = {
            "form": LoginForm(),
            "next": plan.next_url,
            "page_error": locked_message(result.locked_until),
        }
        return render(request, "authn/login.html", context, status=403)
    if not result.ok:
        form.add_error("code", result.message)
        return render(request, "authn/code.html", context, status=400)
    login_plan.save(request, plan)
    policy.stages()[plan.current].begin(request, account)
    return redirect("authn:code")


def _finish_plan(request, plan, account, *, held):
    method, amr = services.method_and_amr(plan.passed)
    return finish_login(
        request,
        account=account,
        method=method,
        amr=amr,
        next_url=plan.next_url,
        lock_keys=plan.lock_keys,
        held=held,
        recovery_code_used=policy.RECOVERY in plan.passed,
        app_fallback=plan.strong_enrolled and policy.SMS in plan.passed,
    )


def finish_login(
    request,
    *,
    account: Account,
    method: Method,
    amr: list[str],
    next_url: str,
    lock_keys: list[str] | tuple[str, ...] = (),
    held=None,
    recovery_code_used: bool = False,
    app_fallback: bool = False,
):
    """Log ``account`` in on this browser once it has proven what ``method`` says (the
    plan's stages, or a registration's SMS code) — one service call, one transaction
    (services.finish_login) —, then on to ``next_url`` (a local path), or first to replace
    a temporary password (the required action)."""
    device_id = request.COOKIES.get(DEVICE_COOKIE, "")
    if not (16 <= len(device_id) <= 64):
        device_id = secrets.token_urlsafe(24)
    services.finish_login(
        request,
        account=account,
        method=method,
        amr=amr,
        device_id=device_id,
        lock_keys=lock_keys,
        held=held,
        recovery_code_used=recovery_code_used,
        app_fallback=app_fallback,
    )
    if account.must_change_password:
        # Where the login was going (a service's authorization, say) once the new
        # password is set.
        request.session[RESUME_KEY] = next_url
        target = reverse("authn:temporary_password")
    else:
        target = next_url
    response = redirect(target)
    response.set_cookie(
        DEVICE_COOKIE,
        device_id,
        max_age=DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@require_POST
def switch_factor(request, factor: str):
    """Another way of proving the second step, among those the policy offered (with an
    app enrolled, SMS only after a recovery code); SMS alone without one: a new code."""
    plan, account = _plan_and_account(request)
    if plan is None:
        return redirect("authn:login")
    if factor == policy.SMS and plan.current == policy.SMS:
        pass  # a new code; the plan and what it has passed stay
    elif factor in plan.ways:
        plan.stages, plan.passed = list(plan.ways[factor]), []
    else:
        return redirect("authn:code")
    login_plan.save(request, plan)
    sms_now = plan.current == policy.SMS
    if sms_now and too_many_attempts(request, group="login-code", rate=settings.CODE_IP_RATE):
        return rate_limited(request)
    policy.stages()[plan.current].begin(request, account)
    return redirect("authn:code")


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        sessions.end_current_session(request, reason=SignOutReason.LOGOUT)
    logout(request)
    return redirect("authn:login")


def temporary_password_view(request):
    """An operator-created account replaces its temporary password before anything else."""
    if not request.user.is_authenticated:
        return redirect("authn:login")
    if not request.user.must_change_password:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        change_temporary_password(
            account=request.user,
            new_password=form.cleaned_data["new_password1"],
            request=request,
        )
        default = reverse(settings.LOGIN_REDIRECT_URL)
        return redirect(safe_next(request, request.session.pop(RESUME_KEY, None), default))
    status = 400 if request.method == "POST" else 200
    return render(request, "authn/temporary_password.html", {"form": form}, status=status)
