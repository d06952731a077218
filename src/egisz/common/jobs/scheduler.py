"""Periodic jobs on top of the task queue (django-tasks has no scheduler of its own).

settings.PERIODIC_JOBS maps a dotted path of a callable ``(*, limit) -> int`` (how many
items it handled) to its interval in seconds. Every worker round calls
:func:`queue_due_jobs`; a due job is queued as the task ``run_periodic_job`` by whichever
worker first moves the job's ``next_run_at`` forward. The move is a compare-and-set on the
value the worker read, in the same transaction as the task row (the queue is a table of the
same database), so a run is queued once however many workers look, on SQLite and on
PostgreSQL alike, and a crash between the two leaves neither.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from egisz.common.jobs.models import PeriodicJob

logger = logging.getLogger(__name__)


def queue_due_jobs() -> int:
    """Queue every periodic job that is due; returns how many were queued."""
    from egisz.common.jobs.tasks import run_periodic_job

    jobs = settings.PERIODIC_JOBS
    if not jobs:
        return 0
    now = timezone.now()
    _create_missing(jobs, now)
    queued = 0
    for job in PeriodicJob.objects.filter(path__in=list(jobs), next_run_at__lte=now):
        with transaction.atomic():
            moved = PeriodicJob.objects.filter(pk=job.pk, next_run_at=job.next_run_at).update(
                next_run_at=now + timedelta(seconds=jobs[job.path]), last_queued_at=now
            )
            if moved:
                run_periodic_job.enqueue(job.path)
                queued += 1
    return queued


def run_again_soon(path: str) -> None:
    """A run that filled its batch is followed by another at the next round."""
    PeriodicJob.objects.filter(path=path).update(next_run_at=timezone.now())


def _create_missing(jobs: dict[str, int], now) -> None:
    known = set(PeriodicJob.objects.filter(path__in=list(jobs)).values_list("path", flat=True))
    for path in jobs.keys() - known:
        try:
            with transaction.atomic():
                PeriodicJob.objects.create(path=path, next_run_at=now)
        except IntegrityError:
            pass  # another worker created it at the same moment
