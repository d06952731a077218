"""Accounts: registration, e-mail confirmation, the registry check and data corrections.

Each function changes state, writes its audit event and queues its notifications in one
transaction, so a failure anywhere leaves neither a half-made account nor a stray SMS.
"""

import hashlib
import logging
import secrets
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.common.audit.services import record_event
from egisz.common.codes import services as codes
from egisz.common.identifiers import mask_phone
from egisz.common.jobs.queue import enqueue_on_commit
from egisz.common.outbox.services import queue_email, queue_sms
from egisz.common.request_meta import SYSTEM, RequestMeta
from egisz.idp.accounts import selectors
from egisz.idp.accounts.models import (
    Account,
    EmailConfirmation,
    Level,
    PendingRegistration,
    RegistryCheck,
)
from egisz.idp.accounts.notifications import notify_owner
from egisz.idp.accounts.registry import (
    Mismatch,
    RegistryUnavailable,
    describe_mismatch,
    registry_backend,
)
from egisz.idp.audit_actions import IdpAction

logger = logging.getLogger(__name__)

REGISTRATION_CODE_PURPOSE = "registration"
REGISTRATION_TTL = timedelta(minutes=30)
EMAIL_CONFIRMATION_TTL = timedelta(hours=24)
EMAIL_RESEND_INTERVAL = timedelta(seconds=60)
EMAIL_MAX_PER_HOUR = 5
REGISTRY_RETRY_BASE = timedelta(minutes=1)
REGISTRY_RETRY_CAP = timedelta(hours=6)
REGISTRY_MAX_ATTEMPTS = 12
# A worker asking the registry holds the check this long; one killed meanwhile leaves it to
# the next worker once it is over. Longer than any registry backend's timeout.
REGISTRY_LEASE = timedelta(minutes=5)


class AccountError(Exception):
    """A request the rules refuse; ``message`` is for the person, in Russian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PersonData:
    """A person's data as the forms leave it: every identifier already normalised."""

    last_name: str
    first_name: str
    middle_name: str
    birth_date: date
    snils: str
    passport: str
    phone: str
    inn: str = ""
    email: str = ""

    def to_json(self) -> dict:
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> "PersonData":
        values = {name: data.get(name, "") for name in cls.__dataclass_fields__}
        values["birth_date"] = date.fromisoformat(data["birth_date"])
        return cls(**values)


# --- Registration ---------------------------------------------------------------------


def registration_code_text() -> str:
    return _("Код для регистрации на Госуслугах: {code}. Никому не сообщайте его.")


def phone_in_use_text() -> str:
    # Sent instead of a code when the number already has an account. The person typing
    # the form sees the same code page either way, so a stranger cannot learn whether a
    # number is registered; only the number's owner, who reads this SMS, finds out. The
    # code issued alongside is never disclosed, so the registration cannot complete.
    return _(
        "Госуслуги: кто-то начал регистрацию новой учётной записи с вашим номером. "
        "У вас уже есть учётная запись — войдите или восстановите пароль. "
        "Если это были не вы, ничего делать не нужно."
    )


@dataclass(frozen=True)
class RegistrationStarted:
    pending: PendingRegistration
    refusal: codes.CodeRefused | None  # why no code could be sent now, if none was


@transaction.atomic
def start_registration(*, person: PersonData, password: str, meta: RequestMeta):
    """Keep the form (password hashed at once) and send the SMS code to the phone."""
    now = timezone.now()
    PendingRegistration.objects.filter(expires_at__lte=now).delete()
    pending = PendingRegistration.objects.create(
        phone=person.phone,
        data=person.to_json(),
        password_hash=make_password(password),
        created_at=now,
        expires_at=now + REGISTRATION_TTL,
    )
    owner = selectors.phone_in_use(person.phone)
    refusal = _send_registration_code(phone=person.phone, phone_taken=owner is not None)
    if owner is not None:
        record_event(
            action=IdpAction.REGISTRATION_PHONE_IN_USE, meta=meta, subject=owner, success=False
        )
    else:
        record_event(
            action=IdpAction.REGISTRATION_STARTED, meta=meta, phone=mask_phone(person.phone)
        )
    return RegistrationStarted(pending=pending, refusal=refusal)


def _send_registration_code(*, phone: str, phone_taken: bool) -> codes.CodeRefused | None:
    """The number was typed by whoever fills the form: the SMS spends the budgets against
    SMS pumping. A refusal is returned, not raised, so that the caller's transaction
    commits (with the operator's alert, if the refusal gave one)."""
    text = phone_in_use_text() if phone_taken else registration_code_text()
    try:
        codes.send_code(
            purpose=REGISTRATION_CODE_PURPOSE,
            target=phone,
            channel="sms",
            text=text,
            unconfirmed=True,
        )
    except codes.CodeRefused as refusal:
        return refusal
    return None


@transaction.atomic
def resend_registration_code(
    *, pending: PendingRegistration, meta: RequestMeta
) -> codes.CodeRefused | None:
    """A new code for a pending registration; returns why none was sent, None if sent."""
    owner = selectors.phone_in_use(pending.phone)
    refusal = _send_registration_code(phone=pending.phone, phone_taken=owner is not None)
    if refusal is None:
        record_event(
            action=IdpAction.REGISTRATION_CODE_RESENT,
            meta=meta,
            subject=owner,
            phone=mask_phone(pending.phone),
        )
    return refusal


@dataclass(frozen=True)
class RegistrationResult:
    account: Account | None = None
    error: str = ""
    # True when the pending registration is gone and the person has to start again.
    restart: bool = False


def phone_taken_message() -> str:
    # Only the phone's owner gets here (the code went to that phone), and only when the
    # number became an account while the code was on its way.
    return _(
        "Учётная запись с этим номером телефона уже есть. Войдите в неё или восстановите пароль."
    )


@transaction.atomic
def confirm_registration(
    *, pending: PendingRegistration, code: str, meta: RequestMeta, site_url: str
) -> RegistrationResult:
    """Check the SMS code; only a correct one creates the account (level «упрощённая»)
    together with its registry check, e-mail confirmation and welcome SMS.

    The СНИЛС and e-mail are taken as typed, whoever else has typed them: they become the
    account's own (unique, a way in) only when checked — the СНИЛС by the registry, the
    e-mail by its link. So nothing here says whether another account has them, and nobody
    can hold a stranger's СНИЛС or address against its owner by typing it first."""
    result = codes.check_code(purpose=REGISTRATION_CODE_PURPOSE, target=pending.phone, code=code)
    if not result.ok:
        return RegistrationResult(error=codes.describe_refusal(result))
    person = PersonData.from_json(pending.data)
    PendingRegistration.objects.filter(phone=pending.phone).delete()
    try:
        # A savepoint: a lost race on a unique column must not undo the used-up code.
        with transaction.atomic():
            account = insert_account(person=person, password_hash=pending.password_hash)
    except AccountError as refusal:
        return RegistrationResult(error=refusal.message, restart=True)
    record_event(
        action=IdpAction.ACCOUNT_REGISTERED,
        meta=meta,
        actor=account,
        subject=account,
        level=account.level,
        email_given=bool(account.email),
    )
    queue_registry_check(account=account)
    if account.email:
        issue_email_confirmation(account=account, site_url=site_url)
    queue_sms(
        phone=account.phone,
        text=_(
            "Госуслуги: учётная запись создана, её уровень — упрощённая. Мы проверяем "
            "СНИЛС и паспорт и сообщим результат. Логин — этот номер телефона."
        ),
    )
    return RegistrationResult(account=account)


def insert_account(
    *, person: PersonData, password_hash: str, must_change_password: bool = False
) -> Account:
    """Create the account row (level «упрощённая», e-mail not yet confirmed), refusing a
    phone another account already has. The СНИЛС and e-mail are claims until checked.

    Callers run this inside a savepoint: the unique constraint on the phone catches what
    the check misses when two registrations race.
    """
    if selectors.phone_in_use(person.phone):
        raise AccountError(phone_taken_message())
    account = Account(
        phone=person.phone,
        last_name=person.last_name,
        first_name=person.first_name,
        middle_name=person.middle_name,
        birth_date=person.birth_date,
        snils=person.snils or None,
        inn=person.inn,
        passport=person.passport,
        email=person.email or None,
        email_confirmed=False,
        level=Level.SIMPLIFIED,
        must_change_password=must_change_password,
        password=password_hash,
    )
    try:
        account.save(force_insert=True)
    except IntegrityError as exc:
        raise AccountError(phone_taken_message()) from exc
    return account


def queue_registry_check(*, account: Account) -> RegistryCheck:
    """A check of the account's data, run by a task queued when the caller's transaction
    commits (and by the periodic ``run_registry_checks`` if that task is lost)."""
    from egisz.idp.accounts.tasks import check_registry

    check = RegistryCheck.objects.create(account=account)
    enqueue_on_commit(check_registry, check.pk)
    return check


# --- E-mail confirmation ----------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def address_in_use_text() -> str:
    # Mailed instead of a link when another account has this address confirmed: the
    # person who typed it sees what anyone sees («we sent a link»); only the mailbox's
    # owner, who reads this, learns that someone tried.
    return _(
        "Здравствуйте!\n\n"
        "Кто-то указал этот адрес электронной почты в другой учётной записи Госуслуг. "
        "Адрес уже подтверждён в вашей учётной записи и в ней остаётся. Если это были вы, "
        "войдите в свою учётную запись или восстановите доступ к ней. Если нет, ничего "
        "делать не нужно."
    )


def issue_email_confirmation(*, account: Account, site_url: str) -> EmailConfirmation:
    """Mail a one-time link (valid 24 hours) to the account's address; older links stop
    working. A link rather than a 6-digit code: a code lives 5 minutes, while the mail
    may be read the next day, and the link works without logging in first.

    When another account has the address confirmed, the mailbox gets a notice instead and
    the link recorded is never mailed: the resend limits and pages stay the same."""
    now = timezone.now()
    EmailConfirmation.objects.filter(
        account=account, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    token = secrets.token_urlsafe(32)
    confirmation = EmailConfirmation.objects.create(
        account=account,
        email=account.email,
        token_hash=_token_hash(token),
        created_at=now,
        expires_at=now + EMAIL_CONFIRMATION_TTL,
    )
    if selectors.email_confirmed_elsewhere(account.email, exclude=account):
        queue_email(
            to=account.email,
            subject=_("Ваш адрес указан в другой учётной записи"),
            body=address_in_use_text(),
        )
        return confirmation
    link = site_url.rstrip("/") + reverse("accounts:confirm_email", args=[token])
    body = _(
        "Здравствуйте, %(name)s!\n\n"
        "Чтобы подтвердить адрес электронной почты для учётной записи Госуслуг, откройте "
        "ссылку:\n%(link)s\n\n"
        "Ссылка действует 24 часа. Если вы не указывали этот адрес, просто удалите письмо."
    ) % {"name": account.first_name, "link": link}
    queue_email(to=account.email, subject=_("Подтвердите адрес электронной почты"), body=body)
    return confirmation


def seconds_until_email_resend(*, account: Account) -> int:
    """0 when a new link may be sent now, otherwise the seconds to wait (same limits as
    codes: one a minute, five an hour)."""
    now = timezone.now()
    recent = list(
        EmailConfirmation.objects.filter(account=account, created_at__gt=now - timedelta(hours=1))
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if recent and now < recent[-1] + EMAIL_RESEND_INTERVAL:
        return int((recent[-1] + EMAIL_RESEND_INTERVAL - now).total_seconds()) + 1
    if len(recent) >= EMAIL_MAX_PER_HOUR:
        return int((recent[0] + timedelta(hours=1) - now).total_seconds()) + 1
    return 0


@transaction.atomic
def send_email_confirmation(*, account: Account, meta: RequestMeta, site_url: str) -> int:
    """The «Подтвердить почту» button: a new link, unless it is too soon. Returns the
    seconds to wait, 0 when the link was sent."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if not account.email:
        raise AccountError(_("В учётной записи не указан адрес электронной почты."))
    if account.email_confirmed:
        raise AccountError(_("Адрес электронной почты уже подтверждён."))
    wait = seconds_until_email_resend(account=account)
    if wait:
        return wait
    issue_email_confirmation(account=account, site_url=site_url)
    record_event(
        action=IdpAction.EMAIL_CONFIRMATION_SENT, meta=meta, actor=account, subject=account
    )
    return 0


def find_email_confirmation(token: str) -> EmailConfirmation | None:
    """The usable confirmation behind a link, or None (unknown, used, expired, replaced,
    or the address changed since)."""
    if not token or len(token) > 64:
        return None
    confirmation = (
        EmailConfirmation.objects.select_related("account")
        .filter(token_hash=_token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if confirmation is None or confirmation.account.email != confirmation.email:
        return None
    return confirmation


@transaction.atomic
def confirm_email(*, token: str, meta: RequestMeta) -> Account | None:
    """Mark the address confirmed if the link is still good; None otherwise."""
    found = find_email_confirmation(token)
    if found is None:
        return None
    confirmation = EmailConfirmation.objects.select_for_update().get(pk=found.pk)
    if confirmation.used_at is not None:
        return None
    account = Account.objects.select_for_update().get(pk=confirmation.account_id)
    if selectors.email_confirmed_elsewhere(account.email, exclude=account):
        return None
    now = timezone.now()
    confirmation.used_at = now
    confirmation.save(update_fields=["used_at"])
    account.email_confirmed = True
    try:
        # A savepoint: two accounts confirming one address at once — one of them wins.
        with transaction.atomic():
            account.save(update_fields=["email_confirmed"])
    except IntegrityError:
        transaction.set_rollback(True)
        return None
    record_event(action=IdpAction.EMAIL_CONFIRMED, meta=meta, subject=account)
    return account


# --- Registry check ---------------------------------------------------------------------


def registry_retry_delay(attempts: int) -> timedelta:
    """1, 2, 4… minutes after each unanswered attempt, at most 6 hours."""
    return min(REGISTRY_RETRY_BASE * 2 ** max(attempts - 1, 0), REGISTRY_RETRY_CAP)


def run_registry_checks(limit: int = 100) -> int:
    """Process up to ``limit`` due checks (a worker task); returns how many were tried."""
    processed = 0
    while processed < limit and process_next_registry_check() is not None:
        processed += 1
    return processed


def process_next_registry_check(check_id: int | None = None) -> RegistryCheck | None:
    """Check one due registry check (the given one, or the oldest due) and record its
    outcome; returns it, or None when there was nothing to claim.

    No transaction stays open while the registry is asked: the check is claimed (attempt
    counted, next attempt moved a lease ahead, so other workers leave it) and committed, the
    citizen's data is read without locking the account, and only the outcome is written
    under locks — if the check is still this worker's and the data asked about has not
    changed meanwhile. A citizen's logins never wait on the registry.
    """
    claimed = _claim_registry_check(check_id)
    if claimed is None:
        return None
    claim, person = claimed
    try:
        answer = registry_backend().verify(**person)
    except RegistryUnavailable:
        answer = None
    except Exception:
        # A broken backend counts as no answer: the check is retried, the queue moves on.
        logger.exception("registry check %s: the backend failed", claim.pk)
        answer = None
    with transaction.atomic():
        check = RegistryCheck.objects.select_for_update().get(pk=claim.pk)
        account = Account.objects.select_for_update().get(pk=check.account_id)
        if check.status != RegistryCheck.Status.PENDING or check.attempts != claim.attempts:
            return check  # another worker took it over after the lease: its outcome counts
        if _registry_person(account) != person:
            # The data changed while the registry was asked: ask again about the new data.
            check.next_attempt_at = timezone.now()
            check.save(update_fields=["next_attempt_at"])
            return check
        if answer is None:
            _registry_unavailable(check, account)
            if check.status == RegistryCheck.Status.PENDING:
                from egisz.idp.accounts.tasks import check_registry

                enqueue_on_commit(check_registry, check.pk, run_after=check.next_attempt_at)
        elif answer.matched:
            _registry_verified(check, account)
        else:
            _registry_rejected(check, account, answer.reason)
        return check


def _claim_registry_check(check_id: int | None) -> tuple[RegistryCheck, dict] | None:
    now = timezone.now()
    with transaction.atomic():
        due = RegistryCheck.objects.select_for_update(skip_locked=True).filter(
            status=RegistryCheck.Status.PENDING, next_attempt_at__lte=now
        )
        if check_id is not None:
            due = due.filter(pk=check_id)
        check = due.order_by("next_attempt_at", "id").first()
        if check is None:
            return None
        # Compare-and-set, for databases without row locks (the demo's SQLite).
        taken = RegistryCheck.objects.filter(
            pk=check.pk, attempts=check.attempts, next_attempt_at=check.next_attempt_at
        ).update(attempts=check.attempts + 1, next_attempt_at=now + REGISTRY_LEASE)
        if not taken:
            return None
        check.attempts += 1
        check.next_attempt_at = now + REGISTRY_LEASE
        person = _registry_person(Account.objects.get(pk=check.account_id))
    return check, person


def _registry_person(account: Account) -> dict:
    """What the registry is asked about an account."""
    return {
        "snils": account.snils or "",
        "passport": account.passport,
        "last_name": account.last_name,
        "first_name": account.first_name,
        "middle_name": account.middle_name,
        "birth_date": account.birth_date,
    }


def _registry_verified(check: RegistryCheck, account: Account) -> None:
    if selectors.snils_checked_elsewhere(account.snils, exclude=account):
        # The registry knows this person, and another account already holds the СНИЛС as
        # checked. Said only now, to someone who gave the registry the person's full data:
        # most likely the owner, who had forgotten that account.
        _registry_rejected(check, account, Mismatch.SNILS_TAKEN)
        return
    now = timezone.now()
    check.status = RegistryCheck.Status.VERIFIED
    check.reason = ""
    check.finished_at = now
    check.save(update_fields=["status", "reason", "attempts", "finished_at"])
    raised = account.level == Level.SIMPLIFIED  # never lower a confirmed account
    if raised:
        account.level = Level.STANDARD
        account.save(update_fields=["level"])
    record_event(
        action=IdpAction.REGISTRY_VERIFIED, meta=SYSTEM, subject=account, level=account.level
    )
    if raised:
        text = _(
            "Госуслуги: СНИЛС и паспорт проверены в государственном реестре. Уровень вашей "
            "учётной записи — стандартная."
        )
    else:
        text = _("Госуслуги: СНИЛС и паспорт проверены в государственном реестре.")
    notify_owner(account, text=text, subject=_("Данные проверены"))


def _registry_rejected(check: RegistryCheck, account: Account, reason: str) -> None:
    check.status = RegistryCheck.Status.REJECTED
    check.reason = reason[:200]
    check.finished_at = timezone.now()
    check.save(update_fields=["status", "reason", "attempts", "finished_at"])
    record_event(
        action=IdpAction.REGISTRY_REJECTED,
        meta=SYSTEM,
        subject=account,
        success=False,
        reason=reason,
    )
    if reason == Mismatch.SNILS_TAKEN:
        text = _("Госуслуги: уровень учётной записи не повышен. %(why)s") % {
            "why": describe_mismatch(reason)
        }
    else:
        text = _(
            "Госуслуги: данные учётной записи не прошли проверку в реестре. %(why)s "
            "Исправьте их в личном кабинете, и мы проверим снова."
        ) % {"why": describe_mismatch(reason)}
    notify_owner(account, text=text, subject=_("Данные не прошли проверку"))


def _registry_unavailable(check: RegistryCheck, account: Account) -> None:
    now = timezone.now()
    if check.attempts >= REGISTRY_MAX_ATTEMPTS:
        check.status = RegistryCheck.Status.ERROR
        check.reason = "unavailable"
        check.finished_at = now
        check.save(update_fields=["status", "reason", "attempts", "finished_at"])
        record_event(
            action=IdpAction.REGISTRY_GAVE_UP,
            meta=SYSTEM,
            subject=account,
            success=False,
            attempts=check.attempts,
        )
        notify_owner(
            account,
            text=_(
                "Госуслуги: не удалось проверить СНИЛС и паспорт — реестр долго не отвечал. "
                "Запустите проверку снова в личном кабинете."
            ),
            subject=_("Проверка данных не выполнена"),
        )
        return
    check.next_attempt_at = now + registry_retry_delay(check.attempts)
    check.save(update_fields=["attempts", "next_attempt_at"])
    record_event(
        action=IdpAction.REGISTRY_UNAVAILABLE,
        meta=SYSTEM,
        subject=account,
        success=False,
        attempts=check.attempts,
    )
    if check.attempts == 1:
        # Told once, not at every retry.
        notify_owner(
            account,
            text=_(
                "Госуслуги: проверка СНИЛС и паспорта задерживается — реестр временно "
                "недоступен. Мы повторим её автоматически и сообщим результат."
            ),
            subject=_("Проверка данных задерживается"),
        )


# --- Corrections by the citizen ----------------------------------------------------------

CORRECTABLE_FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "snils", "passport")


@transaction.atomic
def correct_personal_data(*, account: Account, changes: dict, meta: RequestMeta) -> RegistryCheck:
    """Fix the data the registry did not confirm and check it again.

    Only an account still at «упрощённая» whose last check failed may do this.
    """
    account = Account.objects.select_for_update().get(pk=account.pk)
    if not selectors.can_fix_personal_data(account, selectors.latest_registry_check(account)):
        raise AccountError(_("Сейчас эти данные изменить нельзя."))
    changed = [
        field
        for field in CORRECTABLE_FIELDS
        if field in changes and getattr(account, field) != changes[field]
    ]
    # A СНИЛС another account has typed (or holds) is no reason to refuse: the registry
    # check that follows decides (see «Registration»).
    for field in changed:
        setattr(account, field, changes[field])
    if changed:
        account.save(update_fields=changed)
    check = queue_registry_check(account=account)
    record_event(
        action=IdpAction.ACCOUNT_DATA_CORRECTED,
        meta=meta,
        actor=account,
        subject=account,
        fields=changed,
    )
    queue_sms(
        phone=account.phone,
        text=_(
            "Госуслуги: данные учётной записи отправлены на повторную проверку. "
            "Мы сообщим результат."
        ),
    )
    return check
