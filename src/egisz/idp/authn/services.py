"""The login: password stage, second factor, lockout and what a completed login records.

Views call these functions; each writes its audit event and queues its notifications in
the same transaction as the change.
"""

import enum
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.common.audit.services import record_event
from egisz.common.codes import services as codes
from egisz.common.request_meta import SYSTEM, RequestMeta
from egisz.idp.accounts.models import Account
from egisz.idp.accounts.notifications import notify_owner
from egisz.idp.authn import sessions, totp
from egisz.idp.authn.identify import find_account, normalized_key
from egisz.idp.authn.models import AccountSession, KnownBrowser, LoginAttempt, Method
from egisz.idp.oidc.models import SignOutReason

LOGIN_CODE_PURPOSE = "login"
LOGIN_SMS_TEXT = "Код для входа на Госуслуги: {code}. Никому не сообщайте его."


class Outcome(enum.Enum):
    OK = "ok"
    INVALID = "invalid"  # «Неверный логин или пароль»
    LOCKED = "locked"


@dataclass(frozen=True)
class PasswordResult:
    outcome: Outcome
    account: Account | None = None
    locked_until: datetime | None = None


def lockout_duration() -> timedelta:
    return timedelta(minutes=settings.LOCKOUT_MINUTES)


# A hash of a random password: checking against it costs what a real check costs, so an
# unknown identifier answers as slowly as a known one.
_DUMMY_HASH: str | None = None


def _spend_hash_time(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("egisz-timing-equaliser")
    from django.contrib.auth.hashers import check_password

    check_password(password, _DUMMY_HASH)


def _phantom_key(identifier: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), normalized_key(identifier).encode(), hashlib.sha256
    ).hexdigest()
    return f"login-phantom:{digest}"


def check_password_stage(*, identifier: str, password: str, meta: RequestMeta) -> PasswordResult:
    """Check identifier and password. Unknown identifiers get the same answer, timing and,
    after repeated tries, the same lock as real accounts, so nothing reveals whether an
    account exists."""
    now = timezone.now()
    account = find_account(identifier)
    if account is None or not account.is_active:
        _spend_hash_time(password)
        return _phantom_failure(identifier, now)
    if account.is_locked(now):
        _spend_hash_time(password)
        with transaction.atomic():
            _journal(account, meta, Method.PASSWORD, LoginAttempt.Result.LOCKED)
        return PasswordResult(Outcome.LOCKED, locked_until=account.locked_until)
    # check_password() re-hashes with current Argon2 parameters when they changed.
    if account.check_password(password):
        return PasswordResult(Outcome.OK, account=account)
    with transaction.atomic():
        _journal(account, meta, Method.PASSWORD, LoginAttempt.Result.BAD_PASSWORD)
        locked_until = register_failure(account=account, meta=meta, stage="password")
    if locked_until:
        return PasswordResult(Outcome.LOCKED, locked_until=locked_until)
    return PasswordResult(Outcome.INVALID)


def _phantom_failure(identifier: str, now: datetime) -> PasswordResult:
    key = _phantom_key(identifier)
    state = cache.get(key) or {"failures": 0, "locked_until": None}
    if state["locked_until"] and state["locked_until"] > now:
        return PasswordResult(Outcome.LOCKED, locked_until=state["locked_until"])
    state["failures"] += 1
    state["locked_until"] = None
    if state["failures"] >= settings.LOCKOUT_THRESHOLD:
        state = {"failures": 0, "locked_until": now + lockout_duration()}
    cache.set(key, state, timeout=int(lockout_duration().total_seconds()) + 60)
    if state["locked_until"]:
        return PasswordResult(Outcome.LOCKED, locked_until=state["locked_until"])
    return PasswordResult(Outcome.INVALID)


def register_failure(*, account: Account, meta: RequestMeta, stage: str) -> datetime | None:
    """Count one failed attempt; lock the account at the threshold. Returns the lock end."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    now = timezone.now()
    account.failed_logins += 1
    record_event(action="login.failed", meta=meta, subject=account, success=False, stage=stage)
    if account.failed_logins < settings.LOCKOUT_THRESHOLD:
        account.save(update_fields=["failed_logins"])
        return None
    account.failed_logins = 0
    account.locked_until = now + lockout_duration()
    account.save(update_fields=["failed_logins", "locked_until"])
    record_event(
        action="account.locked",
        meta=meta,
        subject=account,
        success=True,
        until=account.locked_until.isoformat(),
    )
    until_text = timezone.localtime(account.locked_until).strftime("%H:%M")
    text = _(
        "Госуслуги: после %(n)d неудачных попыток входа учётная запись заблокирована до "
        "%(until)s (МСК). Если это были не вы, смените пароль."
    ) % {"n": settings.LOCKOUT_THRESHOLD, "until": until_text}
    notify_owner(account, subject=_("Учётная запись временно заблокирована"), text=text)
    return account.locked_until


def send_login_code(*, account: Account) -> None:
    """Send the SMS code of the second step. Raises codes.CodeRefused when throttled."""
    codes.send_code(
        purpose=LOGIN_CODE_PURPOSE, target=account.phone, channel="sms", text=LOGIN_SMS_TEXT
    )


class Factor(enum.StrEnum):
    SMS = "sms"
    TOTP = "totp"
    RECOVERY = "recovery"


FACTOR_METHOD = {
    Factor.SMS: Method.PASSWORD_SMS,
    Factor.TOTP: Method.PASSWORD_TOTP,
    Factor.RECOVERY: Method.PASSWORD_RECOVERY,
}


# Authentication method references (RFC 8176) each way of logging in proves.
FACTOR_AMR = {
    Factor.SMS: ["pwd", "sms", "mfa"],
    Factor.TOTP: ["pwd", "otp", "mfa"],
    Factor.RECOVERY: ["pwd", "mfa"],
}


@dataclass(frozen=True)
class FactorResult:
    ok: bool
    message: str = ""
    locked_until: datetime | None = None


def check_second_factor(
    *, account: Account, factor: Factor, code: str, meta: RequestMeta
) -> FactorResult:
    """Check the one-time code of the second step; failures count towards the lockout.

    ``account`` must be freshly loaded in this request (its lock is read from it)."""
    if account.is_locked():
        return FactorResult(False, locked_until=account.locked_until)
    message = _("Неверный код.")
    if factor is Factor.SMS:
        result = codes.check_code(purpose=LOGIN_CODE_PURPOSE, target=account.phone, code=code)
        ok = result.ok
        if not ok:
            message = codes.describe_refusal(result)
    elif factor is Factor.TOTP:
        device = totp.active_device(account)
        ok = device is not None and totp.verify_code(device, code)
        message = _("Неверный код из приложения. Проверьте, что время на телефоне точное.")
    else:
        ok = totp.use_recovery_code(account, code)
        message = _("Резервный код неверен или уже использован.")
    if ok:
        return FactorResult(True)
    with transaction.atomic():
        _journal(account, meta, FACTOR_METHOD[factor], LoginAttempt.Result.BAD_CODE)
        locked_until = register_failure(account=account, meta=meta, stage=factor.value)
    return FactorResult(False, message=message, locked_until=locked_until)


@transaction.atomic
def complete_login(*, account: Account, factor: Factor, meta: RequestMeta, device_id: str) -> bool:
    """Record a successful two-step login. Returns True if the browser is new to the account
    (the owner has then been told)."""
    # last_login is set here rather than by Django's user_logged_in receiver (disconnected
    # in AuthnConfig.ready): one UPDATE for the whole account row.
    now = timezone.now()
    Account.objects.filter(pk=account.pk).update(failed_logins=0, locked_until=None, last_login=now)
    first_login = account.last_login is None
    account.last_login = now
    method = FACTOR_METHOD[factor]
    _journal(account, meta, method, LoginAttempt.Result.SUCCESS)
    record_event(action="login.success", meta=meta, subject=account, method=method.value)
    if factor is Factor.RECOVERY:
        record_event(action="mfa.recovery_code_used", meta=meta, subject=account)
    device_hash = hashlib.sha256(device_id.encode()).hexdigest()
    if KnownBrowser.objects.filter(account=account, device_hash=device_hash).update(last_seen=now):
        return False
    KnownBrowser.objects.bulk_create(
        [KnownBrowser(account=account, device_hash=device_hash)], ignore_conflicts=True
    )
    if first_login:  # the very first login is not «a new browser»
        return False
    _notify_new_browser(account, meta)
    return True


def _notify_new_browser(account: Account, meta: RequestMeta) -> None:
    from user_agents import parse

    agent = parse(meta.user_agent or "")
    when = timezone.localtime().strftime("%d.%m.%Y %H:%M")
    text = _(
        "Госуслуги: вход в учётную запись с нового устройства (%(browser)s, %(os)s, IP %(ip)s) "
        "%(when)s МСК. Если это были не вы, смените пароль и завершите сеансы."
    ) % {
        "browser": agent.browser.family,
        "os": agent.os.family,
        "ip": meta.ip or "—",
        "when": when,
    }
    notify_owner(account, subject=_("Вход с нового устройства"), text=text)
    record_event(action="login.new_browser", meta=meta, subject=account)


def _journal(account: Account, meta: RequestMeta, method: str, result: str) -> None:
    LoginAttempt.objects.create(
        account=account, ip=meta.ip, user_agent=meta.user_agent, method=method, result=result
    )


# --- session expiry -------------------------------------------------------------------------


@transaction.atomic
def expire_current_session(request) -> None:
    """This browser's session is idle or past its lifetime (the caller logs it out)."""
    record = sessions.end_current_session(request, reason=SignOutReason.EXPIRED)
    if record is not None:
        record_event(
            action="session.expired",
            meta=RequestMeta.from_request(request),
            subject=record.account_id,
            session=record.pk,
        )


@transaction.atomic
def expire_session(record: AccountSession, *, meta: RequestMeta = SYSTEM) -> None:
    sessions.end_session(record, reason=SignOutReason.EXPIRED, meta=meta)
    record_event(action="session.expired", meta=meta, subject=record.account_id, session=record.pk)


def end_expired_sessions(limit: int = 100) -> int:
    """Worker task: end up to ``limit`` sessions that are idle or past their lifetime
    though no browser came back to find out, so that the services they logged in to are
    told and their tokens revoked. Returns how many were ended."""
    ended = 0
    while ended < limit:
        with transaction.atomic():
            record = (
                sessions.expired_sessions(timezone.now())
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .first()
            )
            if record is None:
                break
            expire_session(record)
        ended += 1
    return ended
