"""The registry check as a task of Django's tasks API (queued when the check commits)."""

from django_tasks import task

from egisz.idp.accounts import services


@task()
def check_registry(check_id: int) -> bool:
    """Run one registry check if it is still due; True when the registry was asked."""
    return services.process_next_registry_check(check_id) is not None
