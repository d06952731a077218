"""Back-channel logout delivery as a task of Django's tasks API (queued on commit)."""

from django_tasks import task

from egisz.idp.oidc import backchannel


@task()
def deliver_logout(delivery_id: int) -> bool:
    """Deliver one logout token if it is still due; True when the service was called."""
    return backchannel.deliver_one(delivery_id) is not None
