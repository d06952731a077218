"""Issuing and checking one-time codes.

Rules (configurable in settings, defaults from the issue): 6 digits, valid 5 minutes,
at most 3 wrong tries per code, a new code no sooner than 60 s after the last one, at most
5 codes per target per hour. A newer code replaces the older one. An SMS to a number not
confirmed before also spends the budgets against SMS pumping (budgets.py). Time comes from
django.utils.timezone.now, so tests move it with a controlled clock.
"""

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.timesince import TIME_STRINGS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from egisz.common.codes import budgets
from egisz.common.codes.models import OneTimeCode
from egisz.common.outbox.services import queue_email, queue_sms


def _setting(name: str, default: int) -> int:
    return getattr(settings, name, default)


def code_lifetime() -> timedelta:
    return timedelta(seconds=_setting("OTP_LIFETIME_SECONDS", 300))


def code_lifetime_text() -> str:
    """How long a code lives, in words of the active language («5 минут», «1 минута»): the
    number with Django's own plural forms of the noun, so that every number reads right."""
    minutes = max(1, round(code_lifetime().total_seconds() / 60))
    return TIME_STRINGS["minute"] % {"num": minutes}


def code_lifetime_sentence() -> str:
    """«Код действует 5 минут.» with the configured lifetime, in whole minutes when it is
    one, else in seconds; the plural forms of each language (Russian's three included) come
    from its catalogue through ngettext."""
    seconds = max(1, int(code_lifetime().total_seconds()))
    if seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("Код действует %(n)d минуту.", "Код действует %(n)d минут.", minutes) % {
            "n": minutes
        }
    return ngettext("Код действует %(n)d секунду.", "Код действует %(n)d секунд.", seconds) % {
        "n": seconds
    }


def resend_interval() -> timedelta:
    return timedelta(seconds=_setting("OTP_RESEND_SECONDS", 60))


class CodeRefused(Exception):
    """A new code cannot be sent now. ``retry_after`` is in seconds. ``message`` is the
    Russian explanation when an SMS budget refused the code (budgets.py); for the resend
    interval and the hourly limit it is empty and callers word the wait themselves."""

    def __init__(self, reason: str, retry_after: int, message: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.message = message


class Check(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # wrong digits, tries left
    EXHAUSTED = "exhausted"  # this code is burnt: too many wrong tries
    EXPIRED = "expired"
    MISSING = "missing"  # no open code for this target


@dataclass(frozen=True)
class CheckResult:
    status: Check
    tries_left: int = 0

    @property
    def ok(self) -> bool:
        return self.status is Check.OK


def _hash(purpose: str, target: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{purpose}:{target}:{code}".encode(), hashlib.sha256).hexdigest()


def seconds_until_resend(*, purpose: str, target: str) -> int:
    """0 when a new code may be sent now, otherwise the seconds to wait.

    The resend interval counts from the last code for this purpose unless that code was
    used: someone who just logged in and logs in again gets a code at once. The hourly
    limit counts every code sent to the target. One query answers both.
    """
    now = timezone.now()
    per_hour = _setting("OTP_MAX_PER_HOUR", 5)
    recent = list(
        OneTimeCode.objects.filter(target=target, created_at__gt=now - timedelta(hours=1))
        .order_by("-created_at")
        .values_list("purpose", "created_at", "used_at")[:per_hour]
    )
    waits = [0]
    last_same = next((row for row in recent if row[0] == purpose), None)
    if last_same is not None and last_same[2] is None:
        waits.append(_seconds_left(last_same[1] + resend_interval(), now))
    if len(recent) >= per_hour:
        waits.append(_seconds_left(recent[-1][1] + timedelta(hours=1), now))
    return max(waits)


def _seconds_left(moment, now) -> int:
    return int((moment - now).total_seconds()) + 1 if moment > now else 0


def _open_new_code(*, purpose: str, target: str) -> str:
    """Replace any open code for ``target`` with a new one and return its digits."""
    wait = seconds_until_resend(purpose=purpose, target=target)
    if wait:
        raise CodeRefused("throttled", wait)
    now = timezone.now()
    OneTimeCode.objects.filter(purpose=purpose, target=target, closed_at__isnull=True).update(
        closed_at=now
    )
    code = f"{secrets.randbelow(10**6):06d}"
    OneTimeCode.objects.create(
        purpose=purpose,
        target=target,
        code_hash=_hash(purpose, target, code),
        created_at=now,
        expires_at=now + code_lifetime(),
    )
    return code


def send_code(
    *,
    purpose: str,
    target: str,
    channel: str,
    text: str,
    subject: str = "",
    unconfirmed: bool = False,
    account: str = "",
) -> None:
    """Send a new code to ``target`` (a normalised phone or e-mail).

    ``text`` holds ``{code}`` where the digits go. Raises CodeRefused when the resend
    interval or the hourly limit forbids a new code now.

    ``unconfirmed``: the number is one the person asking typed (registration, a new phone),
    not one confirmed before, so the SMS spends the budgets against SMS pumping
    (budgets.py), those of ``account`` too when given; a spent budget raises CodeRefused
    with its ``message``. A refusal by the global ceiling journals the operator's alert in
    the caller's transaction (if any): catch CodeRefused inside it and let it commit.
    """
    try:
        # One transaction for the code and its SMS; a refusal takes back the budget units.
        with transaction.atomic():
            body = text.format(code=_open_new_code(purpose=purpose, target=target))
            if channel != "sms":
                queue_email(to=target, subject=subject, body=body)
                return
            if unconfirmed:
                budgets.spend(phone=target, account=account)
            queue_sms(phone=target, text=body)
    except budgets.BudgetExceeded as exceeded:
        if exceeded.scope == budgets.GLOBAL:
            with transaction.atomic():
                budgets.alert_operator_once(exceeded)
        raise CodeRefused(
            f"budget:{exceeded.scope}", exceeded.retry_after, exceeded.message
        ) from exceeded


@transaction.atomic
def record_decoy_code(*, purpose: str, target: str) -> None:
    """Everything send_code does except sending: for a contact with no account, so that
    resend waits and limits answer exactly as they would for a real one."""
    _open_new_code(purpose=purpose, target=target)


@transaction.atomic
def check_code(*, purpose: str, target: str, code: str) -> CheckResult:
    """Check ``code``; a correct code is used up, so a replay gets MISSING."""
    max_tries = _setting("OTP_MAX_TRIES", 3)
    record = (
        OneTimeCode.objects.select_for_update()
        .filter(purpose=purpose, target=target, closed_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if record is None:
        return CheckResult(Check.MISSING)
    now = timezone.now()
    if now >= record.expires_at:
        record.closed_at = now
        record.save(update_fields=["closed_at"])
        return CheckResult(Check.EXPIRED)
    digits = "".join(ch for ch in (code or "")[:32] if ch.isdigit())
    if hmac.compare_digest(record.code_hash, _hash(purpose, target, digits)):
        record.closed_at = record.used_at = now
        record.save(update_fields=["closed_at", "used_at"])
        return CheckResult(Check.OK)
    record.failed_attempts += 1
    update = ["failed_attempts"]
    if record.failed_attempts >= max_tries:
        record.closed_at = now
        update.append("closed_at")
    record.save(update_fields=update)
    if record.closed_at:
        return CheckResult(Check.EXHAUSTED)
    return CheckResult(Check.WRONG, tries_left=max_tries - record.failed_attempts)


def describe_refusal(result: CheckResult) -> str:
    """The Russian message a person sees for a failed check."""
    if result.status is Check.WRONG:
        return ngettext(
            "Неверный код. Осталась %(n)d попытка.",
            "Неверный код. Осталось %(n)d попытки.",
            result.tries_left,
        ) % {"n": result.tries_left}
    if result.status is Check.EXPIRED:
        return _("Срок действия кода истёк. Запросите новый код.")
    if result.status is Check.EXHAUSTED:
        return _("Код введён неверно слишком много раз. Запросите новый код.")
    return _("Код недействителен. Запросите новый код.")
