"""Writes about the operator's staff: their phone for codes, and the code step of the
console's login. Each writes its audit event in the same transaction."""

from dataclasses import dataclass

from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.cabinet.audit_actions import CabinetAction
from egisz.cabinet.staff import journal, lockout
from egisz.cabinet.staff.models import StaffProfile
from egisz.common.audit.services import record_event
from egisz.common.codes.services import CodeRefused, send_code
from egisz.common.identifiers import mask_phone, normalize_mobile_phone
from egisz.common.request_meta import SYSTEM, RequestMeta

LOGIN_CODE_PURPOSE = "cabinet_staff_login"
# The SMS is Russian whatever language the console is shown in (as the provider's).
LOGIN_SMS_TEXT = gettext_lazy(
    "ЕГИСЗ: код {code} для входа в консоль оператора. Никому его не сообщайте."
)
BACKEND = "django.contrib.auth.backends.ModelBackend"


@transaction.atomic
def set_staff_phone(*, user, phone: str, meta: RequestMeta = SYSTEM, actor=None) -> StaffProfile:
    """Give a member of staff the phone their login codes go to (any Russian mobile format;
    stored in E.164), or take it away with an empty ``phone`` (the console then refuses
    their login). Raises ValidationError with a Russian message."""
    if not user.is_staff:
        raise ValidationError(_("Телефон для кодов указывают только сотрудникам оператора."))
    normalised = normalize_mobile_phone(phone) if (phone or "").strip() else ""
    taken = StaffProfile.objects.filter(phone=normalised).exclude(user=user).exists()
    if normalised and taken:
        raise ValidationError(_("Этот номер уже указан у другого сотрудника."))
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    if profile.phone != normalised:
        profile.phone = normalised
        profile.save(update_fields=["phone", "updated_at"])
        record_event(
            action=CabinetAction.STAFF_PHONE_SET,
            meta=meta,
            actor=actor,
            subject=user,
            phone=mask_phone(normalised),
        )
    return profile


def send_login_code(*, user, phone: str, meta: RequestMeta, resend: bool = False) -> None:
    """Send the console login's SMS code to ``phone``. Raises CodeRefused (journalled) while
    the resend interval or the hourly limit forbids a new code."""
    try:
        with transaction.atomic():
            send_code(purpose=LOGIN_CODE_PURPOSE, target=phone, channel="sms", text=LOGIN_SMS_TEXT)
            record_event(
                action=CabinetAction.STAFF_LOGIN_CODE_SENT,
                meta=meta,
                actor=user,
                phone=mask_phone(phone),
                resend=resend,
            )
    except CodeRefused as refusal:
        record_event(
            action=CabinetAction.STAFF_LOGIN_CODE_NOT_SENT,
            meta=meta,
            actor=user,
            success=False,
            reason=refusal.reason,
            retry_after=refusal.retry_after,
        )
        raise


@dataclass(frozen=True)
class StageResult:
    ok: bool
    message: str = ""
    locked: bool = False
    just_locked: bool = False  # this failure has locked the username


def check_stage(*, user, stage, answer: str, meta: RequestMeta) -> StageResult:
    """Check one stage of the console login, holding the username's lock row: call inside
    the transaction that also finishes the login. A refusal is journalled, and guesses
    count toward the username lockout."""
    held = lockout.hold(user.get_username())
    if held.locked_until:
        return StageResult(False, locked=True)
    verdict = stage.check(user, answer)
    if verdict.ok:
        return StageResult(True)
    record_code_refused(user=user, meta=meta, reason=verdict.reason)
    just_locked = verdict.counts and lockout.count_failure(held, user.get_username(), meta=meta)
    return StageResult(False, verdict.message, locked=just_locked, just_locked=just_locked)


@transaction.atomic
def finish_login(request, *, user) -> None:
    """Log the member of staff in after every stage: the username's failures forgotten (a
    lock stays), a new session key, Django's login (journalled as cabinet.staff_login by
    journal.staff_logged_in) — one transaction."""
    lockout.STAFF.forget_failures(lockout.hold(user.get_username()))
    request.session.cycle_key()
    journal.mark_operator_login(request)
    login(request, user, backend=BACKEND)


def record_code_refused(*, user, meta: RequestMeta, reason: str) -> None:
    record_event(
        action=CabinetAction.STAFF_LOGIN_CODE_REFUSED,
        meta=meta,
        actor=user,
        success=False,
        reason=reason,
    )
