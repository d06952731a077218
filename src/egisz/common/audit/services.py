from egisz.common.audit import vocabulary
from egisz.common.audit.models import AuditEvent
from egisz.common.request_meta import SYSTEM, RequestMeta


def record_event(
    *,
    action,
    meta: RequestMeta = SYSTEM,
    actor=None,
    subject=None,
    success: bool = True,
    **details,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it records, so both
    land or neither does. ``actor``/``subject`` are model instances or identifiers.

    ``action`` is a member of one of the site's vocabularies (``AUDIT_VOCABULARIES``); an
    action no vocabulary names, or a plain string, raises ``vocabulary.UnknownAction``."""
    return AuditEvent.objects.create(
        action=vocabulary.member(action).value,
        result=AuditEvent.Result.SUCCESS if success else AuditEvent.Result.FAILURE,
        actor_id=_identify(actor),
        subject_id=_identify(subject if subject is not None else actor),
        ip=meta.ip,
        user_agent=meta.user_agent,
        details=details,
    )


def _identify(value) -> str:
    if value is None:
        return ""
    return str(getattr(value, "pk", value))
