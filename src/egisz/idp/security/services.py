"""Account security actions: password recovery and change, sessions, the authenticator app.

Each function changes state, writes its audit event and queues its notifications in one
transaction, as the house rules ask.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.common.audit.services import record_event
from egisz.common.codes import services as codes
from egisz.common.request_meta import RequestMeta
from egisz.idp.accounts.models import Account
from egisz.idp.accounts.notifications import notify_owner
from egisz.idp.audit_actions import IdpAction
from egisz.idp.authn import lockout, policy, sessions, totp
from egisz.idp.authn.models import AccountSession, RecoveryCode, TotpDevice
from egisz.idp.authn.passwords import set_new_password
from egisz.idp.oidc import signout
from egisz.idp.oidc.models import SignOutReason
from egisz.idp.security.selectors import recovery_account

RECOVERY_PURPOSE = "recovery"


def _recovery_text(channel: str) -> str:
    """The message carrying the code; ``{code}`` is where codes.send_code puts it."""
    if channel == "email":
        return _(
            "Код для восстановления пароля на Госуслугах: {code}.\n\n"
            "%(lifetime)s Если вы не восстанавливали пароль, ничего не делайте: "
            "без кода пароль не изменится."
        ) % {"lifetime": codes.code_lifetime_sentence()}
    return _("Код для восстановления пароля на Госуслугах: {code}. Никому не сообщайте его.")


# --- password recovery --------------------------------------------------------------


@dataclass(frozen=True)
class RecoverySent:
    target: str  # where the code went (or would have gone)
    wait_seconds: int = 0  # >0: no new code now, the resend rules ask to wait


@transaction.atomic
def send_recovery_code(*, channel: str, contact: str, meta: RequestMeta) -> RecoverySent:
    """Send a recovery code if an account has this contact.

    Without an account a decoy code is recorded and nothing is sent: the resend rules
    and the code page then behave exactly as for a real account, so neither the answer
    nor the waiting time tells whether the account exists.
    """
    account = recovery_account(channel=channel, contact=contact)
    target = (account.email if channel == "email" else account.phone) if account else contact
    try:
        if account is None:
            codes.record_decoy_code(purpose=RECOVERY_PURPOSE, target=target)
        else:
            codes.send_code(
                purpose=RECOVERY_PURPOSE,
                target=target,
                channel=channel,
                text=_recovery_text(channel),
                subject=_("Восстановление пароля"),
            )
    except codes.CodeRefused as refusal:
        return RecoverySent(target, wait_seconds=refusal.retry_after)
    record_event(
        action=IdpAction.PASSWORD_RECOVERY_REQUESTED,
        meta=meta,
        subject=account or "",
        success=account is not None,
        channel=channel,
    )
    return RecoverySent(target)


@dataclass(frozen=True)
class RecoveryCheck:
    account: Account | None
    message: str = ""


@transaction.atomic
def check_recovery_code(
    *, channel: str, target: str, code: str, meta: RequestMeta
) -> RecoveryCheck:
    """Check the code sent to ``target``; on success name the one account it proves."""
    result = codes.check_code(purpose=RECOVERY_PURPOSE, target=target, code=code)
    account = recovery_account(channel=channel, contact=target) if result.ok else None
    if account is None:
        # A decoy code never matches, so only real failures land here.
        message = codes.describe_refusal(result) if not result.ok else _("Код недействителен.")
        return RecoveryCheck(None, message)
    record_event(action=IdpAction.PASSWORD_RECOVERY_CODE_CONFIRMED, meta=meta, subject=account)
    return RecoveryCheck(account)


def needs_app_code(account: Account) -> bool:
    """An authenticator app is enrolled: recovery by the SMS (or e-mail) code alone is not
    enough — whoever holds the SIM must not take the account over."""
    return totp.active_device(account) is not None


@dataclass(frozen=True)
class AppCodeCheck:
    ok: bool
    message: str = ""
    locked_until: datetime | None = None


@transaction.atomic
def check_recovery_app_code(*, account: Account, code: str, meta: RequestMeta) -> AppCodeCheck:
    """The app's current code or an unused recovery code, during a recovery. Wrong ones count
    towards the lock of every identifier of the account (its rows held for the check), and
    a lock refuses this step as it refuses a login."""
    keys = lockout.account_keys(account)
    held = lockout.CITIZEN.hold(keys)
    if held.locked_until:
        return AppCodeCheck(False, locked_until=held.locked_until)
    digits = "".join(ch for ch in (code or "")[:32] if ch.isdigit())
    stage = policy.stages()[policy.RECOVERY if len(digits) == 10 else "totp"]
    verdict = stage.check(account, code)
    if verdict.ok:
        lockout.CITIZEN.forget_failures(held)
        record_event(
            action=IdpAction.PASSWORD_RECOVERY_APP_CONFIRMED,
            meta=meta,
            subject=account,
            way=stage.name,
        )
        return AppCodeCheck(True)
    record_event(
        action=IdpAction.PASSWORD_RECOVERY_APP_REFUSED,
        meta=meta,
        subject=account,
        success=False,
        way=stage.name,
    )
    locked_until = lockout.CITIZEN.count_failure(held)
    return AppCodeCheck(
        False,
        message=_("Неверный код из приложения или резервный код."),
        locked_until=locked_until,
    )


def recover_password(*, account: Account, new_password: str, meta: RequestMeta) -> None:
    """Set the recovered password: every session ends (this browser's too), the owner is
    told by SMS and e-mail, the audit says «password.recovered». A login lock and the failed
    attempts counted stay: recovery by a code sent to the phone is no way around them."""
    set_new_password(
        lift_locks=False,
        account=account,
        new_password=new_password,
        meta=meta,
        action=IdpAction.PASSWORD_RECOVERED,
        keep_session_key=None,
        reason=SignOutReason.PASSWORD_RECOVERED,
    )


# --- password change ------------------------------------------------------------------


def change_password(
    *, account: Account, new_password: str, meta: RequestMeta, current_session_key: str | None
) -> None:
    """The owner's own change in settings: other sessions end, this one stays."""
    set_new_password(
        account=account,
        new_password=new_password,
        meta=meta,
        action=IdpAction.PASSWORD_CHANGED,
        keep_session_key=current_session_key,
    )


# --- sessions --------------------------------------------------------------------------


@transaction.atomic
def end_account_session(*, account: Account, record: AccountSession, meta: RequestMeta) -> None:
    """End one of the owner's sessions: that browser is logged out at its next request."""
    if record.account_id != account.pk:
        raise PermissionError("a session of another account")
    sessions.end_session(record, reason=SignOutReason.SESSION_ENDED, meta=meta)
    record_event(
        action=IdpAction.SESSION_ENDED, meta=meta, subject=account, session=record.pk, ip=record.ip
    )


@transaction.atomic
def end_other_sessions(
    *, account: Account, current_session_key: str | None, meta: RequestMeta
) -> int:
    """End every other session. The tokens of every service go too, this browser's
    included: whoever used those sessions may have logged in to services with them."""
    ended = sessions.end_all_sessions(account, except_key=current_session_key or "")
    record_event(
        action=IdpAction.SESSION_ENDED_OTHERS, meta=meta, subject=account, sessions_ended=ended
    )
    signout.account_signed_out(
        account, reason=SignOutReason.OTHER_SESSIONS_ENDED, meta=meta, actor=account
    )
    return ended


# --- authenticator app (TOTP) ----------------------------------------------------------


class AlreadyEnabled(Exception):
    """The account already has an active authenticator app."""


class NotEnabled(Exception):
    """The account has no active authenticator app."""


@transaction.atomic
def start_totp_enrolment(*, account: Account, meta: RequestMeta) -> TotpDevice:
    """A fresh secret for the app; it protects nothing until confirm_totp()."""
    if totp.active_device(account) is not None:
        raise AlreadyEnabled
    device = totp.new_device(account)
    record_event(action=IdpAction.TOTP_ENROLMENT_STARTED, meta=meta, subject=account)
    return device


@transaction.atomic
def confirm_totp(*, account: Account, code: str, meta: RequestMeta) -> list[str] | None:
    """Activate the pending app if ``code`` is its current code. Returns the recovery
    codes to show once, or None when the code is wrong (or nothing is pending)."""
    device = (
        TotpDevice.objects.select_for_update()
        .filter(account=account, confirmed_at__isnull=True)
        .first()
    )
    if device is None or not totp.verify_code(device, code):
        return None
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    recovery_codes = totp.issue_recovery_codes(account)
    record_event(action=IdpAction.TOTP_ENABLED, meta=meta, subject=account)
    notify_owner(
        account,
        subject=_("Подключено приложение-аутентификатор"),
        text=_(
            "Госуслуги: к учётной записи подключено приложение-аутентификатор. Если это "
            "сделали не вы, срочно смените пароль и обратитесь в службу поддержки: "
            "%(contact)s."
        )
        % {"contact": settings.SUPPORT_CONTACT},
    )
    return recovery_codes


@transaction.atomic
def disable_totp(*, account: Account, meta: RequestMeta) -> None:
    """Remove the app and its recovery codes; login falls back to SMS codes."""
    if totp.active_device(account) is None:
        raise NotEnabled
    TotpDevice.objects.filter(account=account).delete()
    RecoveryCode.objects.filter(account=account).delete()
    record_event(action=IdpAction.TOTP_DISABLED, meta=meta, subject=account)
    notify_owner(
        account,
        subject=_("Приложение-аутентификатор отключено"),
        text=_(
            "Госуслуги: приложение-аутентификатор отключено, для входа снова используется "
            "код из SMS. Если это сделали не вы, срочно смените пароль."
        ),
    )


@transaction.atomic
def reissue_recovery_codes(*, account: Account, meta: RequestMeta) -> list[str]:
    """New recovery codes replace all the old ones, used or not."""
    if totp.active_device(account) is None:
        raise NotEnabled
    recovery_codes = totp.issue_recovery_codes(account)
    record_event(action=IdpAction.RECOVERY_CODES_ISSUED, meta=meta, subject=account)
    notify_owner(
        account,
        subject=_("Новые резервные коды"),
        text=_(
            "Госуслуги: выпущены новые резервные коды для входа, прежние больше не "
            "действуют. Если это сделали не вы, срочно смените пароль."
        ),
    )
    return recovery_codes
