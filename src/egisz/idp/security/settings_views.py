"""Security settings: sessions, the login journal, password change, the authenticator app."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from egisz.common.flow.throttle import too_many_attempts
from egisz.common.request_meta import RequestMeta
from egisz.idp.authn import sessions, totp
from egisz.idp.authn.passwords import ChangePasswordForm
from egisz.idp.authn.throttle import rate_limited
from egisz.idp.security import selectors, services
from egisz.idp.security.forms import PasswordConfirmForm, TotpConfirmForm


def _meta(request) -> RequestMeta:
    return RequestMeta.from_request(request)


# --- «Управление сеансами» ------------------------------------------------------------


@login_required
def sessions_view(request):
    rows = selectors.session_rows(request.user, current_key=request.session.session_key)
    context = {"section": "sessions", "rows": rows, "others": sum(not r.is_current for r in rows)}
    return render(request, "security/sessions.html", context)


@login_required
@require_POST
def session_end(request, pk: int):
    record = selectors.owned_active_session(request.user, pk)
    if record is None:
        raise Http404
    is_current = record.session_key == request.session.session_key
    services.end_account_session(account=request.user, record=record, meta=_meta(request))
    if is_current:
        logout(request)
        messages.info(request, _("Сеанс завершён. Чтобы продолжить, войдите снова."))
        return redirect("authn:login")
    messages.success(request, _("Сеанс завершён: на том устройстве потребуется войти снова."))
    return redirect("security:sessions")


@login_required
@require_POST
def sessions_end_others(request):
    ended = services.end_other_sessions(
        account=request.user,
        current_session_key=request.session.session_key,
        meta=_meta(request),
    )
    if ended:
        # Worded without a plural form, which Russian has three of.
        text = _("Завершено сеансов, кроме этого: %(n)d.") % {"n": ended}
    else:
        text = _("Других активных сеансов нет.")
    messages.success(request, text)
    return redirect("security:sessions")


# --- «Журнал входов» --------------------------------------------------------------------


@login_required
def journal_view(request):
    page, rows = selectors.journal_page(request.user, request.GET.get("page"))
    context = {"section": "journal", "page": page, "rows": rows}
    return render(request, "security/journal.html", context)


# --- «Смена пароля» ---------------------------------------------------------------------


@login_required
def password_change_view(request):
    account = request.user
    form = ChangePasswordForm(account, request.POST or None)
    context = {"section": "password", "form": form}
    if request.method != "POST":
        return render(request, "security/password_change.html", context)
    if too_many_attempts(request, group="password-check", rate=settings.PASSWORD_CHECK_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return render(request, "security/password_change.html", context, status=400)
    services.change_password(
        account=account,
        new_password=form.cleaned_data["new_password1"],
        meta=_meta(request),
        current_session_key=request.session.session_key,
    )
    sessions.keep_logged_in(request, account)
    messages.success(
        request, _("Пароль изменён. Другие сеансы завершены, на этом устройстве вы остались.")
    )
    return redirect("security:password_change")


# --- «Приложение-аутентификатор» --------------------------------------------------------


def _totp_page(request, *, status=200, **forms):
    account = request.user
    state = selectors.totp_status(account)
    context = {
        "section": "totp",
        "state": state,
        "confirm_form": forms.get("confirm_form") or TotpConfirmForm(),
        "disable_form": forms.get("disable_form") or PasswordConfirmForm(account, prefix="off"),
        "codes_form": forms.get("codes_form") or PasswordConfirmForm(account, prefix="codes"),
    }
    if state.pending is not None:
        context["qr_data_uri"] = totp.qr_data_uri(state.pending)
        secret = totp.secret_of(state.pending)
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    response = render(request, "security/totp.html", context, status=status)
    add_never_cache_headers(response)  # the page may carry the secret
    return response


def _codes_page(request, codes: list[str], *, first: bool):
    context = {"section": "totp", "codes": codes, "first": first}
    response = render(request, "security/totp_codes.html", context)
    # Shown once: no cache may keep them; a reload re-posts and is refused.
    add_never_cache_headers(response)
    return response


@login_required
def totp_view(request):
    return _totp_page(request)


@login_required
@require_POST
def totp_start(request):
    try:
        services.start_totp_enrolment(account=request.user, meta=_meta(request))
    except services.AlreadyEnabled:
        messages.info(request, _("Приложение-аутентификатор уже подключено."))
    return redirect("security:totp")


@login_required
@require_POST
def totp_confirm(request):
    form = TotpConfirmForm(request.POST)
    if too_many_attempts(request, group="totp-confirm", rate=settings.CODE_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return _totp_page(request, status=400, confirm_form=form)
    codes = services.confirm_totp(
        account=request.user, code=form.cleaned_data["code"], meta=_meta(request)
    )
    if codes is None:
        if selectors.totp_status(request.user).active is not None:
            # A reload of the page with the codes: they are not shown twice.
            messages.info(request, _("Приложение-аутентификатор уже подключено."))
            return redirect("security:totp")
        form.add_error(
            "code", _("Неверный код из приложения. Проверьте, что время на телефоне точное.")
        )
        return _totp_page(request, status=400, confirm_form=form)
    return _codes_page(request, codes, first=True)


@login_required
@require_POST
def totp_disable(request):
    form = PasswordConfirmForm(request.user, request.POST, prefix="off")
    if too_many_attempts(request, group="password-check", rate=settings.PASSWORD_CHECK_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return _totp_page(request, status=400, disable_form=form)
    try:
        services.disable_totp(account=request.user, meta=_meta(request))
    except services.NotEnabled:
        return redirect("security:totp")
    messages.success(
        request, _("Приложение-аутентификатор отключено. Для входа снова приходит код по SMS.")
    )
    return redirect("security:totp")


@login_required
@require_POST
def totp_recovery_codes(request):
    form = PasswordConfirmForm(request.user, request.POST, prefix="codes")
    if too_many_attempts(request, group="password-check", rate=settings.PASSWORD_CHECK_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return _totp_page(request, status=400, codes_form=form)
    try:
        codes = services.reissue_recovery_codes(account=request.user, meta=_meta(request))
    except services.NotEnabled:
        return redirect("security:totp")
    return _codes_page(request, codes, first=False)
