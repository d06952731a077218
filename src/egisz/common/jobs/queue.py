"""Queueing tasks for the rows that ask for them (outbox messages, registry checks,
back-channel logout deliveries). The row is the durable record: a task that cannot be
queued loses nothing, since the periodic sweep of its kind finds the row."""

import logging
from datetime import datetime
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, run_after: datetime | None = None) -> None:
    """Queue ``task(*args)`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(enqueue, task, *args, run_after=run_after))


def enqueue(task, *args, run_after: datetime | None = None) -> None:
    """Queue ``task(*args)`` (not before ``run_after``, if given)."""
    try:
        (task.using(run_after=run_after) if run_after else task).enqueue(*args)
    except Exception:
        logger.exception("%s%r not queued; the periodic sweep runs it", task.name, args)
