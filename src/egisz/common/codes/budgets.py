"""Budgets of SMS codes sent to numbers nobody has confirmed yet: the defence against SMS
pumping.

A code for registration or for a new phone in the cabinet goes to whatever number the
person asking typed, and every SMS is paid for: a fraudster who types ranges of premium
numbers earns on each one. Such an SMS (``send_code(..., unconfirmed=True)``) spends one
unit of every budget below, in this order, and is refused when any is spent out:

- per account (the patient changing their phone): ``SMS_BUDGET_PER_ACCOUNT``;
- per destination number: ``SMS_BUDGET_PER_NUMBER``;
- per number prefix, the first ``SMS_BUDGET_PREFIX_DIGITS`` digits of the E.164 number
  (country, operator code and range): ``SMS_BUDGET_PER_PREFIX``;
- all such SMS of the site together: ``SMS_BUDGET_GLOBAL``. When it runs out the operator is
  alerted once per period: one ``alert.sms_ceiling_reached`` event in the audit journal and
  an error in the log, however many SMS are refused after it.

Rates are written like the throttling rates (``30/h``, ``10/d``); each budget counts in fixed
periods from the epoch (a daily budget starts again at 00:00 UTC). Counters are database
rows raised with ``count = count + 1`` in the caller's transaction, so every process of the
site shares them exactly, and an SMS that is refused or rolled back spends nothing.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.common.audit.services import record_event
from egisz.common.audit.vocabulary import CommonAction
from egisz.common.codes.models import SmsBudgetCounter
from egisz.common.env import parse_rate
from egisz.common.identifiers import mask_phone
from egisz.common.waits import in_time

logger = logging.getLogger(__name__)

ACCOUNT = "account"
NUMBER = "number"
PREFIX = "prefix"
GLOBAL = "global"
ALERT = "alert"  # counts the refusals by the global ceiling; its first one alerts
ALERT_ACTION = CommonAction.SMS_CEILING_REACHED
# Counters are deleted this long after their period ended (never one still being raised).
PURGE_GRACE = timedelta(hours=1)


class BudgetExceeded(Exception):
    """One budget is spent out; ``retry_after`` is in seconds, ``message`` is for the person."""

    def __init__(self, *, scope: str, limit: int, window_start: datetime, retry_after: int):
        super().__init__(scope)
        self.scope = scope
        self.limit = limit
        self.window_start = window_start
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        when = in_time(self.retry_after)
        if self.scope == ACCOUNT:
            return _(
                "Слишком много запросов кода из вашей учётной записи. Попробуйте снова "
                "через %(when)s."
            ) % {"when": when}
        if self.scope == NUMBER:
            return _(
                "Слишком много запросов кода на этот номер. Попробуйте снова через %(when)s."
            ) % {"when": when}
        return _("Слишком много запросов кода. Попробуйте снова через %(when)s.") % {"when": when}


@dataclass(frozen=True)
class Budget:
    scope: str
    key: str
    rate: str


def number_prefix(phone: str) -> str:
    """The first SMS_BUDGET_PREFIX_DIGITS digits of an E.164 number (+79161234567 → 7916123)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[: settings.SMS_BUDGET_PREFIX_DIGITS]


def budgets_for(*, phone: str, account: str = "") -> list[Budget]:
    """The budgets one SMS to ``phone`` spends, in the order they are raised (a fixed order,
    so that concurrent senders never wait for each other's rows in a cycle)."""
    budgets = []
    if account:
        budgets.append(Budget(ACCOUNT, account, settings.SMS_BUDGET_PER_ACCOUNT))
    budgets += [
        Budget(NUMBER, phone, settings.SMS_BUDGET_PER_NUMBER),
        Budget(PREFIX, number_prefix(phone), settings.SMS_BUDGET_PER_PREFIX),
        Budget(GLOBAL, GLOBAL, settings.SMS_BUDGET_GLOBAL),
    ]
    return budgets


def spend(*, phone: str, account: str = "") -> None:
    """Spend one SMS of every budget of ``phone`` (and ``account``, when there is one), or
    raise BudgetExceeded. Call it inside the transaction that queues the SMS and let a
    refusal roll back to a savepoint before it: the units raised for the refused SMS go
    back (send_code does both)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("SMS budgets are spent inside the transaction that sends the SMS")
    now = timezone.now()
    for budget in budgets_for(phone=phone, account=account):
        limit, period = parse_rate(budget.rate)
        start, end = _window(now, period)
        if _raise_counter(budget.scope, budget.key, start, end) > limit:
            logger.warning(
                "SMS code to %s refused: the %s budget (%s) is spent",
                mask_phone(phone),
                budget.scope,
                budget.rate,
            )
            raise BudgetExceeded(
                scope=budget.scope,
                limit=limit,
                window_start=start,
                retry_after=_seconds_left(end, now),
            )


def alert_operator_once(refusal: BudgetExceeded) -> None:
    """The operator's alert for a refusal by the global ceiling: journalled once per period
    of the ceiling. Call it in a transaction that commits (not the savepoint the refusal
    rolled back), or the alert and the mark that it was given vanish together and the
    next refusal alerts again."""
    limit, period = parse_rate(settings.SMS_BUDGET_GLOBAL)
    start = refusal.window_start
    end = start + timedelta(seconds=period)
    if _raise_counter(ALERT, GLOBAL, start, end) != 1:
        return
    logger.error(
        "SMS ceiling reached: %d SMS codes to unconfirmed numbers since %s; further codes are "
        "refused until %s",
        limit,
        start.isoformat(),
        end.isoformat(),
    )
    record_event(
        action=ALERT_ACTION,
        success=False,
        limit=limit,
        rate=settings.SMS_BUDGET_GLOBAL,
        period_start=start.isoformat(),
        period_end=end.isoformat(),
    )


def purge_spent_counters(*, limit: int = 500) -> int:
    """Counters whose period is long over. A periodic job (settings.PERIODIC_JOBS)."""
    cutoff = timezone.now() - PURGE_GRACE
    ids = list(
        SmsBudgetCounter.objects.filter(window_end__lt=cutoff).values_list("pk", flat=True)[
            : limit * 25
        ]
    )
    if ids:
        SmsBudgetCounter.objects.filter(pk__in=ids).delete()
    return len(ids)


def _window(moment: datetime, period: int) -> tuple[datetime, datetime]:
    epoch = int(moment.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % period, tz=UTC)
    return start, start + timedelta(seconds=period)


def _seconds_left(end: datetime, now: datetime) -> int:
    return max(1, int((end - now).total_seconds() + 0.999))


def _raise_counter(scope: str, key: str, start: datetime, end: datetime) -> int:
    """Add one to the counter of (scope, key) in the period starting at ``start``; returns
    its new value. The row stays locked until the caller's transaction ends, so concurrent
    senders count one after another."""
    rows = SmsBudgetCounter.objects.filter(scope=scope, key=key, window_start=start)
    if not rows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                SmsBudgetCounter.objects.create(
                    scope=scope, key=key, window_start=start, window_end=end, count=1
                )
            return 1
        except IntegrityError:  # another sender created it a moment ago
            rows.update(count=F("count") + 1)
    return rows.values_list("count", flat=True).get()
