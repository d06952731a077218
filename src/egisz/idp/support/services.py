"""What support operators do to citizens' accounts: confirm identity, create an account for
someone who came in person, lift a login lock. Each action is journalled with the
operator as the actor and the citizen is told."""

import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from egisz.common.audit.services import record_event
from egisz.common.outbox.services import queue_sms
from egisz.common.request_meta import RequestMeta
from egisz.idp.accounts import selectors
from egisz.idp.accounts.models import Account, IdentityConfirmation, Level
from egisz.idp.accounts.notifications import notify_owner
from egisz.idp.accounts.services import (
    AccountError,
    PersonData,
    insert_account,
    issue_email_confirmation,
    queue_registry_check,
)
from egisz.idp.audit_actions import IdpAction
from egisz.idp.authn import lockout, sessions
from egisz.idp.oidc import signout
from egisz.idp.oidc.models import SignOutReason

# Created, with its permissions, by migration 0001 (as "support"; renamed by 0002).
SUPPORT_GROUP = "Служба поддержки"
TEMPORARY_PASSWORD_LENGTH = 12
# No look-alikes (0/O, 1/l/I): the citizen retypes this from an SMS.
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SPECIAL = "!#%+=?@"


def _require(operator: Account, permission: str) -> None:
    # The admin checks permissions before calling; the service checks again so no other
    # caller can skip it.
    if not (operator.is_active and operator.is_staff and operator.has_perm(permission)):
        raise AccountError(_("Недостаточно прав доступа"))


@transaction.atomic
def confirm_identity(
    *, account: Account, operator: Account, method: str, note: str, meta: RequestMeta
) -> IdentityConfirmation:
    """Raise the account to «подтверждённая» after the operator checked the person's
    passport in person or over video; the method is recorded."""
    _require(operator, "accounts.confirm_identity")
    if operator.pk == account.pk:
        raise AccountError(_("Нельзя подтвердить собственную личность."))
    if method not in IdentityConfirmation.Method.values:
        raise AccountError(_("Выберите способ подтверждения."))
    account = Account.objects.select_for_update().get(pk=account.pk)
    if selectors.snils_checked_elsewhere(account.snils, exclude=account):
        # Another account already holds this СНИЛС as its own: the citizen should recover
        # access to that one.
        raise AccountError(_("Этот СНИЛС уже подтверждён в другой учётной записи."))
    confirmation = IdentityConfirmation.objects.create(
        account=account, method=method, operator=operator, note=(note or "")[:500]
    )
    previous = account.level
    account.level = Level.CONFIRMED
    account.save(update_fields=["level"])
    record_event(
        action=IdpAction.ACCOUNT_IDENTITY_CONFIRMED,
        meta=meta,
        actor=operator,
        subject=account,
        method=method,
        previous_level=previous,
    )
    text = _(
        "Госуслуги: ваша личность подтверждена (%(method)s). Уровень учётной записи — "
        "подтверждённая. Если вы не обращались за подтверждением, сразу сообщите в службу "
        "поддержки: %(contact)s."
    ) % {"method": confirmation.get_method_display(), "contact": settings.SUPPORT_CONTACT}
    notify_owner(account, subject=_("Личность подтверждена"), text=text)
    return confirmation


def generate_temporary_password(person: Account | None = None) -> str:
    """A random password that passes the whole policy (one of each character class)."""
    alphabet = _LOWER + _UPPER + _DIGITS + _SPECIAL
    while True:
        chars = [secrets.choice(group) for group in (_LOWER, _UPPER, _DIGITS, _SPECIAL)]
        chars += [secrets.choice(alphabet) for _i in range(TEMPORARY_PASSWORD_LENGTH - 4)]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        try:
            password_validation.validate_password(password, person)
        except ValidationError:
            continue
        return password


@transaction.atomic
def create_account_by_operator(
    *, operator: Account, person: PersonData, meta: RequestMeta, site_url: str
) -> Account:
    """An account for a citizen who came in person. The temporary password goes only to
    the citizen's phone (the operator never sees it) and must be changed at first login."""
    _require(operator, "accounts.add_account")
    fields = {**person.to_json(), "birth_date": person.birth_date}
    temporary = generate_temporary_password(Account(**fields))
    account = insert_account(
        person=person, password_hash=make_password(temporary), must_change_password=True
    )
    queue_registry_check(account=account)
    if account.email:
        issue_email_confirmation(account=account, site_url=site_url)
    record_event(
        action=IdpAction.ACCOUNT_CREATED_BY_OPERATOR, meta=meta, actor=operator, subject=account
    )
    queue_sms(
        phone=account.phone,
        text=_(
            "Госуслуги: для вас создана учётная запись. Логин — этот номер телефона, "
            "временный пароль: %(password)s . При первом входе придумайте свой пароль. "
            "Никому не сообщайте пароль."
        )
        % {"password": temporary},
    )
    return account


@transaction.atomic
def unlock_account(*, account: Account, operator: Account, meta: RequestMeta) -> bool:
    """Lift a login lock early (the citizen called support). False if it was not locked."""
    _require(operator, "accounts.change_account")
    if lockout.account_locked_until(account) is None:
        return False
    lockout.CITIZEN.clear(lockout.account_keys(account))
    record_event(action=IdpAction.ACCOUNT_UNLOCKED, meta=meta, actor=operator, subject=account)
    queue_sms(
        phone=account.phone,
        text=_("Госуслуги: служба поддержки сняла блокировку входа в вашу учётную запись."),
    )
    return True


@transaction.atomic
def sign_out_blocked_account(*, account: Account, operator: Account, meta: RequestMeta) -> int:
    """An operator has blocked the account (``is_active`` off): every session ends and every
    service loses its tokens and is told, so nobody keeps using what was obtained before.
    Returns how many sessions ended."""
    _require(operator, "accounts.change_account")
    ended = sessions.end_all_sessions(account)
    record_event(
        action=IdpAction.SESSION_ENDED_ALL,
        meta=meta,
        actor=operator,
        subject=account,
        sessions_ended=ended,
    )
    signout.account_signed_out(
        account, reason=SignOutReason.ACCOUNT_BLOCKED, meta=meta, actor=operator
    )
    return ended
