"""The task that runs one periodic job (queued by egisz.common.jobs.scheduler)."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks import task

from egisz.common.jobs.scheduler import run_again_soon

logger = logging.getLogger(__name__)

# Items one run of a periodic job handles; a run that handles this many is followed by
# another at once instead of after the job's interval.
BATCH = 100


@task()
def run_periodic_job(path: str) -> int:
    if path not in settings.PERIODIC_JOBS:
        # Queued before a deployment that removed the job: nothing to run.
        logger.warning("periodic job %s is no longer configured; skipped", path)
        return 0
    try:
        processed = int(import_string(path)(limit=BATCH) or 0)
    except Exception:
        logger.exception("periodic job %s failed; it runs again at its next interval", path)
        raise
    if processed >= BATCH:
        run_again_soon(path)
    return processed
