"""The login: password stage, second factor, lockout and what a completed login records.

Views call these functions; each writes its audit event and queues its notifications in
the same transaction as the change.
"""

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.common.audit.services import record_event
from egisz.common.flow.lockout import Held
from egisz.common.flow.stages import Stage
from egisz.common.outbox.services import queue_email
from egisz.common.request_meta import SYSTEM, RequestMeta
from egisz.idp.accounts.models import Account
from egisz.idp.accounts.notifications import notify_owner
from egisz.idp.audit_actions import IdpAction
from egisz.idp.authn import lockout, policy, sessions
from egisz.idp.authn.identify import Kind, find_account, kind_for
from egisz.idp.authn.models import AccountSession, KnownBrowser, LoginAttempt, Method
from egisz.idp.oidc.models import SignOutReason


class Outcome(enum.Enum):
    OK = "ok"
    INVALID = "invalid"  # «Неверный логин или пароль»
    LOCKED = "locked"


@dataclass(frozen=True)
class PasswordResult:
    outcome: Outcome
    account: Account | None = None
    locked_until: datetime | None = None
    # What the second step counts its failures against (see lockout.py).
    lock_keys: tuple[str, ...] = ()
    kind: str = ""


# A hash of a random password: checking against it costs what a real check costs, so an
# unknown identifier answers as slowly as a known one.
_DUMMY_HASH: str | None = None


def _spend_hash_time(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("egisz-timing-equaliser")
    check_password(password, _DUMMY_HASH)


def check_password_stage(*, identifier: str, password: str, meta: RequestMeta) -> PasswordResult:
    """Check identifier and password.

    Unknown identifiers get the same answer, timing and lock as real accounts: the lock is
    kept per identifier as normalised, by the same rows and rules for both (lockout.py)."""
    account = find_account(identifier)
    keys = lockout.keys_for(identifier)
    kind = kind_for(account, identifier) if account else Kind.OTHER
    with transaction.atomic():
        held = lockout.CITIZEN.hold(keys)
        if held.locked_until:
            _spend_hash_time(password)
            if account is not None:
                _journal(account, meta, Method.PASSWORD, LoginAttempt.Result.LOCKED)
            return PasswordResult(Outcome.LOCKED, locked_until=held.locked_until)
        if account is None:
            _spend_hash_time(password)
        # check_password() re-hashes with current Argon2 parameters when they changed.
        elif account.check_password(password):
            return PasswordResult(Outcome.OK, account=account, lock_keys=tuple(keys), kind=kind)
        locked_until = lockout.CITIZEN.count_failure(held)
        if account is not None:
            _journal(account, meta, Method.PASSWORD, LoginAttempt.Result.BAD_PASSWORD)
            _account_failure(account, meta, stage="password", kind=kind, locked_until=locked_until)
    if locked_until:
        return PasswordResult(Outcome.LOCKED, locked_until=locked_until)
    return PasswordResult(Outcome.INVALID)


# «…попыток входа по номеру телефона вход по нему заблокирован…»
_KIND_WORDS = {
    Kind.PHONE: gettext_lazy("номеру телефона"),
    Kind.EMAIL: gettext_lazy("адресу электронной почты"),
    Kind.SNILS: gettext_lazy("СНИЛС"),
    Kind.OTHER: gettext_lazy("логину"),
}


def _account_failure(
    account: Account, meta: RequestMeta, *, stage: str, kind: str, locked_until: datetime | None
) -> None:
    """The audit of a failure on a real account and, when it has just locked the identifier,
    the owner's notice (SMS, and e-mail once confirmed)."""
    record_event(
        action=IdpAction.LOGIN_FAILED, meta=meta, subject=account, success=False, stage=stage
    )
    if not locked_until:
        return
    record_event(
        action=IdpAction.ACCOUNT_LOCKED,
        meta=meta,
        subject=account,
        success=True,
        identifier=kind,
        until=locked_until.isoformat(),
    )
    by = _KIND_WORDS.get(kind, _KIND_WORDS[Kind.OTHER])
    text = _(
        "Госуслуги: после %(n)d неудачных попыток входа по %(by)s вход по нему заблокирован до "
        "%(until)s (МСК). Если это были не вы, смените пароль."
    ) % {
        "n": settings.LOCKOUT_THRESHOLD,
        "by": by,
        "until": timezone.localtime(locked_until).strftime("%H:%M"),
    }
    notify_owner(account, subject=_("Вход временно заблокирован"), text=text)


# A registration proves the phone by its SMS code; the password was chosen, not proven.
REGISTRATION_AMR = ["sms"]


@dataclass(frozen=True)
class StageResult:
    ok: bool
    message: str = ""
    locked_until: datetime | None = None
    # The identifier's lock rows, held until the transaction ends (finish_login uses them).
    held: Held | None = None


def check_stage(
    *,
    account: Account,
    stage: Stage,
    answer: str,
    meta: RequestMeta,
    lock_keys: tuple[str, ...] | list[str],
    kind: str,
) -> StageResult:
    """Check the answer to one stage after the password. Failures count towards the lock of
    the identifier the password step used (``lock_keys``, from the login plan).

    Call inside the transaction that, when this is the last stage, also finishes the login
    (finish_login): the lock rows stay held from here to the end, so a right code in flight
    when wrong ones lock the identifier is refused, and nothing lifts a lock set meanwhile."""
    held = lockout.CITIZEN.hold(list(lock_keys))
    if held.locked_until:
        return StageResult(False, locked_until=held.locked_until)
    verdict = stage.check(account, answer)
    if verdict.ok:
        return StageResult(True, held=held)
    _journal(account, meta, stage.method, LoginAttempt.Result.BAD_CODE)
    locked_until = lockout.CITIZEN.count_failure(held)
    _account_failure(account, meta, stage=stage.name, kind=kind, locked_until=locked_until)
    return StageResult(False, message=verdict.message, locked_until=locked_until)


def method_and_amr(passed: list[str]) -> tuple[Method, list[str]]:
    """How a login that passed the password and ``passed`` stages happened: the journal's
    method (the first stage after the password names it) and the RFC 8176 amr."""
    stages = [policy.stages()[name] for name in passed]
    amr = ["pwd", *dict.fromkeys(ref for stage in stages for ref in stage.amr), "mfa"]
    return stages[0].method, amr


@transaction.atomic
def finish_login(
    request,
    *,
    account: Account,
    method: Method,
    amr: list[str],
    device_id: str,
    lock_keys: tuple[str, ...] | list[str] = (),
    held: Held | None = None,
    recovery_code_used: bool = False,
    app_fallback: bool = False,
) -> bool:
    """Log ``account`` in on this browser, all in one transaction: the failures counted
    against the identifier used are forgotten (a lock stays), the login journal and audit,
    the known browser (its owner told of a new one), a new session key and its record, how
    the login happened (for OpenID Connect). ``held``: the lock rows the last stage's check
    holds in the same transaction. Returns True if the browser was new."""
    from egisz.idp.authn.middleware import mark_session_start

    meta = RequestMeta.from_request(request)
    if held is None and lock_keys:
        held = lockout.CITIZEN.hold(list(lock_keys))
    if held is not None:
        lockout.CITIZEN.forget_failures(held)
    # last_login is set here rather than by Django's user_logged_in receiver (disconnected
    # in AuthnConfig.ready): one UPDATE for the whole account row.
    now = timezone.now()
    Account.objects.filter(pk=account.pk).update(last_login=now)
    first_login = account.last_login is None
    account.last_login = now
    _journal(account, meta, method, LoginAttempt.Result.SUCCESS)
    record_event(action=IdpAction.LOGIN_SUCCESS, meta=meta, subject=account, method=method.value)
    if recovery_code_used:
        record_event(action=IdpAction.RECOVERY_CODE_USED, meta=meta, subject=account)
    if app_fallback:
        _notify_app_fallback(account, meta)
    new_browser = _known_browser(account, meta, device_id, now=now, first_login=first_login)
    if request.user.is_authenticated:
        # A fresh login over a live session (prompt=login, max_age): the old session's
        # record ends and the new login gets a key of its own.
        sessions.end_current_session(request, reason=SignOutReason.NEW_LOGIN)
        request.session.cycle_key()
    login(request, account, backend="django.contrib.auth.backends.ModelBackend")
    mark_session_start(request)
    sessions.remember_authentication(request, account=account, amr=amr)
    sessions.start_session(request=request, account=account, method=method, meta=meta)
    return new_browser


def _known_browser(account, meta, device_id: str, *, now, first_login: bool) -> bool:
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


def _notify_app_fallback(account: Account, meta: RequestMeta) -> None:
    """A login without the authenticator app (a recovery code and an SMS code): journalled,
    and the owner told by e-mail — the SMS channel is what such a login may have abused."""
    record_event(action=IdpAction.LOGIN_APP_FALLBACK, meta=meta, subject=account)
    if account.email and account.email_confirmed:
        when = timezone.localtime().strftime("%d.%m.%Y %H:%M")
        queue_email(
            to=account.email,
            subject=_("Вход без приложения-аутентификатора"),
            body=_(
                "Госуслуги: %(when)s МСК выполнен вход в учётную запись без "
                "приложения-аутентификатора — по резервному коду и коду из SMS (IP %(ip)s). "
                "Если это были не вы, срочно смените пароль и обратитесь в службу "
                "поддержки: %(contact)s."
            )
            % {"when": when, "ip": meta.ip or "—", "contact": settings.SUPPORT_CONTACT},
        )


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
    record_event(action=IdpAction.LOGIN_NEW_BROWSER, meta=meta, subject=account)


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
            action=IdpAction.SESSION_EXPIRED,
            meta=RequestMeta.from_request(request),
            subject=record.account_id,
            session=record.pk,
        )


@transaction.atomic
def expire_session(record: AccountSession, *, meta: RequestMeta = SYSTEM) -> None:
    sessions.end_session(record, reason=SignOutReason.EXPIRED, meta=meta)
    record_event(
        action=IdpAction.SESSION_EXPIRED, meta=meta, subject=record.account_id, session=record.pk
    )


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
