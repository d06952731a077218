"""Registration, the account page, e-mail confirmation and data corrections.

Views parse forms, call one service and render; the rules live in services.py.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from egisz.common.codes.services import code_lifetime_sentence
from egisz.common.flow.redirects import safe_next
from egisz.common.flow.throttle import too_many_attempts
from egisz.common.identifiers import mask_passport, mask_phone
from egisz.common.request_meta import RequestMeta
from egisz.idp.accounts import selectors, services
from egisz.idp.accounts.forms import CodeForm, PersonalDataForm, RegistrationForm
from egisz.idp.accounts.registry import describe_mismatch
from egisz.idp.authn.models import Method
from egisz.idp.authn.services import REGISTRATION_AMR
from egisz.idp.authn.throttle import rate_limited
from egisz.idp.authn.views import finish_login

PENDING_KEY = "egisz_registration"
WAIT_KEY = "egisz_registration_wait"
# Where the new citizen goes once registered and logged in (an OpenID Connect authorization
# that sent them to log in, say): a local path, checked again when used.
NEXT_KEY = "egisz_registration_next"


def _posted(request):
    """The form data of a POST, even an empty one (``request.POST or None`` would leave an
    empty POST unbound and so without its «Заполните поле» messages)."""
    return request.POST if request.method == "POST" else None


def _site_url(request) -> str:
    return request.build_absolute_uri("/")


def in_time(seconds: int) -> str:
    """«45 с» / «12 мин»: abbreviations read right after any number in Russian."""
    if seconds < 120:
        return _("%(n)d с") % {"n": seconds}
    return _("%(n)d мин") % {"n": (seconds + 59) // 60}


def wait_message(refusal) -> str:
    """Why no new code went out: an SMS budget's own words, or when to ask again."""
    return refusal.message or _("Новый код можно запросить через %(when)s.") % {
        "when": in_time(refusal.retry_after)
    }


# --- Registration -----------------------------------------------------------------------


def _next_url(request) -> str:
    return safe_next(
        request, request.POST.get("next") or request.GET.get("next"), reverse("accounts:home")
    )


def register(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    if request.method == "POST":
        if too_many_attempts(request, group="register", rate=settings.REGISTER_IP_RATE):
            return rate_limited(request)
        form = RegistrationForm(request.POST)
        context = {"form": form, "next": _next_url(request)}
        if not form.is_valid():
            return render(request, "accounts/register.html", context, status=400)
        started = services.start_registration(
            person=form.person(),
            password=form.cleaned_data["password1"],
            meta=RequestMeta.from_request(request),
        )
        request.session[PENDING_KEY] = str(started.pending.token)
        request.session[WAIT_KEY] = wait_message(started.refusal) if started.refusal else ""
        request.session[NEXT_KEY] = context["next"]
        return redirect("accounts:register_confirm")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    # «Изменить данные» from the code page brings back what was typed (never the password).
    pending = selectors.pending_registration(request.session.get(PENDING_KEY))
    initial = {}
    next_url = _next_url(request)
    if pending is not None:
        initial = RegistrationForm.initial_from(services.PersonData.from_json(pending.data))
        if "next" not in request.GET:
            next_url = request.session.get(NEXT_KEY) or next_url
    context = {"form": RegistrationForm(initial=initial), "next": next_url}
    return render(request, "accounts/register.html", context)


def _pending_or_restart(request):
    pending = selectors.pending_registration(request.session.get(PENDING_KEY))
    if pending is None:
        request.session.pop(PENDING_KEY, None)
        messages.warning(
            request, _("Время на регистрацию истекло или она уже завершена. Начните заново.")
        )
    return pending


def register_confirm(request):
    pending = _pending_or_restart(request)
    if pending is None:
        return redirect("accounts:register")
    form = CodeForm(_posted(request))
    context = {
        "form": form,
        "masked_phone": mask_phone(pending.phone),
        "code_lifetime": code_lifetime_sentence(),
        "wait_message": request.session.pop(WAIT_KEY, ""),
    }
    if request.method != "POST":
        return render(request, "accounts/register_confirm.html", context)
    if too_many_attempts(request, group="register-code", rate=settings.CODE_IP_RATE):
        return rate_limited(request)
    if not form.is_valid():
        return render(request, "accounts/register_confirm.html", context, status=400)
    result = services.confirm_registration(
        pending=pending,
        code=form.cleaned_data["code"],
        meta=RequestMeta.from_request(request),
        site_url=_site_url(request),
    )
    if result.restart:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, result.error)
        return redirect("accounts:register")
    if result.account is None:
        form.add_error("code", result.error)
        return render(request, "accounts/register_confirm.html", context, status=400)
    # The phone has just been proven by its code: the registration ends logged in, through
    # the login's own last step (journal «регистрация с кодом из SMS», audit, browser).
    request.session.pop(PENDING_KEY, None)
    next_url = safe_next(request, request.session.pop(NEXT_KEY, None), reverse("accounts:home"))
    messages.success(request, _("Учётная запись создана, вы вошли в неё."))
    return finish_login(
        request,
        account=result.account,
        method=Method.REGISTRATION,
        amr=REGISTRATION_AMR,
        next_url=next_url,
    )


@require_POST
def register_resend(request):
    pending = _pending_or_restart(request)
    if pending is None:
        return redirect("accounts:register")
    if too_many_attempts(request, group="register", rate=settings.REGISTER_IP_RATE):
        return rate_limited(request)
    refusal = services.resend_registration_code(
        pending=pending, meta=RequestMeta.from_request(request)
    )
    if refusal is not None:
        request.session[WAIT_KEY] = wait_message(refusal)
    else:
        messages.success(request, f"{_('Мы отправили новый код.')} {code_lifetime_sentence()}")
    return redirect("accounts:register_confirm")


@require_safe
def terms(request):
    return render(request, "accounts/terms.html")


# --- The account page -------------------------------------------------------------------


@login_required
@require_safe
def home(request):
    account = request.user
    overview = selectors.account_overview(account)
    check = overview.registry_check
    context = {
        "account": account,
        "overview": overview,
        "masked_passport": mask_passport(account.passport),
        "check_reason": describe_mismatch(check.reason)
        if check and check.status == check.Status.REJECTED
        else "",
    }
    return render(request, "accounts/home.html", context)


@login_required
@require_POST
def send_email_confirmation(request):
    try:
        wait = services.send_email_confirmation(
            account=request.user,
            meta=RequestMeta.from_request(request),
            site_url=_site_url(request),
        )
    except services.AccountError as refusal:
        messages.error(request, refusal.message)
        return redirect("accounts:home")
    if wait:
        messages.warning(
            request,
            _("Письмо уже отправлено. Новое можно запросить через %(when)s.")
            % {"when": in_time(wait)},
        )
    else:
        messages.success(
            request,
            _("Мы отправили письмо со ссылкой на %(email)s. Ссылка действует 24 часа.")
            % {"email": request.user.email},
        )
    return redirect("accounts:home")


def confirm_email(request, token: str):
    """GET shows a button, POST confirms: mail scanners that open links must not confirm
    an address on the owner's behalf, and a GET must not change anything."""
    if request.method == "POST":
        account = services.confirm_email(token=token, meta=RequestMeta.from_request(request))
        if account is not None:
            messages.success(request, _("Адрес электронной почты подтверждён."))
            target = "accounts:home" if request.user.is_authenticated else "authn:login"
            return redirect(target)
        return render(request, "accounts/email_confirm.html", {"invalid": True}, status=400)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    confirmation = services.find_email_confirmation(token)
    if confirmation is None:
        return render(request, "accounts/email_confirm.html", {"invalid": True}, status=404)
    return render(request, "accounts/email_confirm.html", {"email": confirmation.email})


@login_required
def personal_data(request):
    """Correct the data the registry did not confirm, and check it again."""
    account = request.user
    if not selectors.can_fix_personal_data(account, selectors.latest_registry_check(account)):
        messages.warning(request, _("Сейчас эти данные изменить нельзя."))
        return redirect("accounts:home")
    form = PersonalDataForm(
        account, _posted(request), initial=PersonalDataForm.initial_for(account)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_personal_data(
                account=account, changes=form.cleaned_data, meta=RequestMeta.from_request(request)
            )
        except services.AccountError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request, _("Данные сохранены и отправлены на проверку. Мы сообщим результат.")
            )
            return redirect("accounts:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/personal_data.html", {"form": form}, status=status)
