"""«Забыли пароль?»: contact → code → new password, each step a view with one job.

Whatever contact is typed, the answer is the same: the code page saying a code was sent
if an account has that contact. The flow's state lives in the session (recovery_state).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from egisz.common.codes.services import code_lifetime_sentence
from egisz.common.flow.forms import CodeForm
from egisz.common.flow.throttle import too_many_attempts
from egisz.common.identifiers import mask_phone
from egisz.common.request_meta import RequestMeta
from egisz.idp.authn.passwords import SetPasswordForm
from egisz.idp.authn.throttle import rate_limited
from egisz.idp.authn.views import locked_message
from egisz.idp.security import recovery_state, selectors, services
from egisz.idp.security.forms import RecoveryContactForm

WAIT_KEY = "egisz_recovery_wait"


def mask_contact(channel: str, target: str) -> str:
    if channel == "sms":
        return mask_phone(target)
    local, _sep, domain = target.rpartition("@")
    return f"{local[:1]}***@{domain}"


def _send(request, *, channel: str, contact: str):
    sent = services.send_recovery_code(
        channel=channel, contact=contact, meta=RequestMeta.from_request(request)
    )
    recovery_state.start(request, target=sent.target, channel=channel)
    if sent.wait_seconds:
        request.session[WAIT_KEY] = sent.wait_seconds
    return redirect("security:recover_code")


def recover(request):
    form = RecoveryContactForm(request.POST or None)
    if request.method != "POST":
        return render(request, "security/recover_start.html", {"form": form})
    if too_many_attempts(request, group="recover-start", rate=settings.RECOVERY_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return render(request, "security/recover_start.html", {"form": form}, status=400)
    channel, contact = form.cleaned_data["contact"]
    return _send(request, channel=channel, contact=contact)


@require_POST
def recover_resend(request):
    state = recovery_state.load(request)
    if state is None:
        return _restart(request)
    if too_many_attempts(request, group="recover-start", rate=settings.RECOVERY_IP_RATE):
        return rate_limited(request)
    return _send(request, channel=state.channel, contact=state.target)


def recover_code(request):
    state = recovery_state.load(request)
    if state is None:
        return _restart(request)
    if state.verified_account_id() is not None:
        return redirect("security:recover_password")
    form = CodeForm(request.POST or None)
    context = {
        "form": form,
        "channel": state.channel,
        "masked_contact": mask_contact(state.channel, state.target),
        "code_lifetime": code_lifetime_sentence(),
        "wait_seconds": request.session.pop(WAIT_KEY, 0),
    }
    if request.method != "POST":
        return render(request, "security/recover_code.html", context)
    if too_many_attempts(request, group="recover-code", rate=settings.CODE_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return render(request, "security/recover_code.html", context, status=400)
    result = services.check_recovery_code(
        channel=state.channel,
        target=state.target,
        code=form.cleaned_data["code"],
        meta=RequestMeta.from_request(request),
    )
    if result.account is None:
        form.add_error("code", result.message)
        return render(request, "security/recover_code.html", context, status=400)
    if services.needs_app_code(result.account):
        recovery_state.await_app_code(request, state, account_id=result.account.pk)
        return redirect("security:recover_app")
    recovery_state.mark_verified(request, state, account_id=result.account.pk)
    return redirect("security:recover_password")


def recover_app(request):
    """With an authenticator app enrolled the SIM alone recovers nothing: the app's code,
    or one of the recovery codes, after the contact's code."""
    state, account = _proven_account(request, lambda state: state.app_account_id)
    if account is None:
        return _restart(request)
    form = CodeForm(request.POST or None)
    form.fields["code"].label = _("Код из приложения или резервный код")
    if request.method != "POST":
        return render(request, "security/recover_app.html", {"form": form})
    if too_many_attempts(request, group="recover-code", rate=settings.CODE_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return render(request, "security/recover_app.html", {"form": form}, status=400)
    result = services.check_recovery_app_code(
        account=account, code=form.cleaned_data["code"], meta=RequestMeta.from_request(request)
    )
    if result.locked_until:
        recovery_state.clear(request)
        messages.error(request, locked_message(result.locked_until))
        return redirect("authn:login")
    if not result.ok:
        form.add_error("code", result.message)
        return render(request, "security/recover_app.html", {"form": form}, status=400)
    state.app_account_id = None
    recovery_state.mark_verified(request, state, account_id=account.pk)
    return redirect("security:recover_password")


def _proven_account(request, account_id_of):
    """(the recovery state, the account ``account_id_of(state)`` names) while that account
    still has the contact the code went to — a code confirmed for one contact never acts on
    another account —, else (state, None)."""
    state = recovery_state.load(request)
    account_id = account_id_of(state) if state else None
    if not account_id:
        return state, None
    account = selectors.recovery_account(channel=state.channel, contact=state.target)
    return state, account if account is not None and account.pk == account_id else None


def recover_password(request):
    _state, account = _proven_account(request, lambda state: state.verified_account_id())
    if account is None:
        return _restart(request)
    form = SetPasswordForm(account, request.POST or None)
    if request.method != "POST":
        return render(request, "security/recover_password.html", {"form": form})
    if not form.is_valid():
        return render(request, "security/recover_password.html", {"form": form}, status=400)
    services.recover_password(
        account=account,
        new_password=form.cleaned_data["new_password1"],
        meta=RequestMeta.from_request(request),
    )
    # Every session of the account has ended; this browser starts afresh, without the
    # recovery state (logout() flushes the session even when nobody was logged in).
    logout(request)
    messages.success(request, _("Пароль изменён. Войдите с новым паролем."))
    return redirect("authn:login")


def _restart(request):
    recovery_state.clear(request)
    messages.warning(
        request,
        _("Время на восстановление пароля истекло или шаг пропущен. Начните заново."),
    )
    return redirect("security:recover")
