from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

# Finished task rows are kept this long for the operator console, then removed.
KEEP_FINISHED = timedelta(days=7)


def prune_finished_tasks(limit: int = 100) -> int:
    """Remove up to ``limit`` task rows finished more than a week ago (a periodic job), and
    rows left «running» for a week by a worker that was killed (whatever such a task was
    doing is done again by the outbox's and the registry check's leases)."""
    cutoff = timezone.now() - KEEP_FINISHED
    old = DBTaskResult.objects.filter(
        Q(
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
            finished_at__lte=cutoff,
        )
        | Q(status=TaskResultStatus.RUNNING, started_at__lte=cutoff)
    )
    ids = list(old.values_list("id", flat=True)[:limit])
    DBTaskResult.objects.filter(id__in=ids).delete()
    return len(ids)
