"""Read-side queries of the security settings pages."""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _
from user_agents import parse

from egisz.idp.accounts.models import Account
from egisz.idp.authn import sessions, totp
from egisz.idp.authn.models import AccountSession, LoginAttempt, RecoveryCode, TotpDevice

JOURNAL_PAGE_SIZE = 20


def recovery_account(*, channel: str, contact: str) -> Account | None:
    """The active account a recovery code may be sent for. An e-mail counts only once
    confirmed: an unconfirmed address may be a typo pointing at a stranger's mailbox."""
    accounts = Account.objects.filter(is_active=True)
    if channel == "email":
        accounts = accounts.filter(email__iexact=contact, email_confirmed=True)
    else:
        accounts = accounts.filter(phone=contact)
    matches = list(accounts[:2])
    return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class Agent:
    browser: str
    os: str
    device: str


@lru_cache(maxsize=512)
def _parse_agent(user_agent: str) -> tuple[str, str, str, str]:
    """(browser, OS, kind of device, device model) — parsing is slow and a journal page
    repeats the same few strings, so the language-neutral part is cached."""
    agent = parse(user_agent)
    browser = _named(agent.browser.family, agent.browser.version_string)
    os_name = _named(agent.os.family, agent.os.version_string)
    if agent.is_mobile:
        kind = "phone"
    elif agent.is_tablet:
        kind = "tablet"
    elif agent.is_bot:
        kind = "bot"
    else:
        kind = "computer"
    model = agent.device.family if agent.device.brand else ""
    return browser, os_name, kind, model


def _named(family: str, version: str) -> str:
    # The parser says "Other" when it does not know; the page says «неизвестно».
    return "" if family == "Other" else " ".join(p for p in (family, version) if p)


def describe_agent(user_agent: str) -> Agent:
    """Browser, OS and kind of device from a User-Agent header, in words a person knows."""
    unknown = _("неизвестно")
    if not user_agent:
        return Agent(unknown, unknown, unknown)
    browser, os_name, kind, model = _parse_agent(user_agent)
    device = {
        "phone": _("телефон"),
        "tablet": _("планшет"),
        "bot": _("программа"),
        "computer": _("компьютер"),
    }[kind]
    if model and model not in ("Other", "Generic Smartphone"):
        device = f"{device} ({model})"
    return Agent(browser or unknown, os_name or unknown, device)


@dataclass(frozen=True)
class SessionRow:
    pk: int
    agent: Agent
    ip: str | None
    method: str
    started_at: datetime
    last_activity: datetime
    is_current: bool


def session_rows(account, *, current_key: str | None) -> list[SessionRow]:
    """The account's live sessions, this browser's first, then by latest activity."""
    rows = [
        SessionRow(
            pk=record.pk,
            agent=describe_agent(record.user_agent),
            ip=record.ip,
            method=record.get_method_display(),
            started_at=record.started_at,
            last_activity=record.last_activity,
            is_current=bool(current_key) and record.session_key == current_key,
        )
        for record in sessions.active_sessions(account)
    ]
    rows.sort(key=lambda row: not row.is_current)  # stable: keeps the activity order
    return rows


def owned_active_session(account, pk: int) -> AccountSession | None:
    return sessions.active_sessions(account).filter(pk=pk).first()


@dataclass(frozen=True)
class JournalRow:
    created_at: datetime
    ip: str | None
    agent: Agent
    method: str
    result: str
    success: bool


def journal_page(account, page_number) -> tuple[Page, list[JournalRow]]:
    """One page of the account's login journal, newest first, in two queries."""
    attempts = LoginAttempt.objects.filter(account=account).order_by("-created_at", "-id")
    page = Paginator(attempts, JOURNAL_PAGE_SIZE).get_page(page_number)
    rows = [
        JournalRow(
            created_at=attempt.created_at,
            ip=attempt.ip,
            agent=describe_agent(attempt.user_agent),
            method=attempt.get_method_display(),
            result=attempt.get_result_display(),
            success=attempt.result == LoginAttempt.Result.SUCCESS,
        )
        for attempt in page.object_list
    ]
    return page, rows


@dataclass(frozen=True)
class TotpStatus:
    active: TotpDevice | None
    pending: TotpDevice | None
    recovery_codes_left: int


def totp_status(account) -> TotpStatus:
    active = totp.active_device(account)
    pending = None
    if active is None:
        pending = TotpDevice.objects.filter(account=account, confirmed_at__isnull=True).first()
    left = 0
    if active is not None:
        left = RecoveryCode.objects.filter(account=account, used_at__isnull=True).count()
    return TotpStatus(active=active, pending=pending, recovery_codes_left=left)
