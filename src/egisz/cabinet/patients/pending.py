"""A change of phone, e-mail or address waiting for its code, kept in the session.

The state names the patient who started it: a session that somehow carries another
patient's state (or a state past its time) is treated as having none. Nothing changes in
the database until the code is confirmed.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

PHONE = "phone"
EMAIL = "email"
ADDRESS = "address"
FLOWS = (PHONE, EMAIL, ADDRESS)

# The whole change (resent codes included) must be confirmed within this time.
PENDING_TTL = timedelta(minutes=30)


def _key(flow: str) -> str:
    return f"egisz_cabinet_pending_{flow}"


@dataclass
class PendingChange:
    patient_id: int
    flow: str  # PHONE, EMAIL or ADDRESS
    target: str  # where the code went: a normalised phone or e-mail
    started_at: str
    value: str = ""  # the new phone or e-mail
    address_kind: str = ""  # for ADDRESS: registration | actual
    address: dict = field(default_factory=dict)  # for ADDRESS: the new fields
    next_url: str = ""  # where to go after success (checked when stored)

    def expired(self) -> bool:
        return timezone.now() - datetime.fromisoformat(self.started_at) > PENDING_TTL


def start(request, *, patient, flow: str, target: str, **fields) -> PendingChange:
    """A new change replaces any earlier one of the same flow."""
    state = PendingChange(
        patient_id=patient.pk,
        flow=flow,
        target=target,
        started_at=timezone.now().isoformat(),
        **fields,
    )
    request.session[_key(flow)] = asdict(state)
    return state


def load(request, *, patient, flow: str) -> PendingChange | None:
    raw = request.session.get(_key(flow))
    if not isinstance(raw, dict):
        return None
    try:
        state = PendingChange(**raw)
        expired = state.expired()
    except (TypeError, ValueError):
        clear(request, flow=flow)
        return None
    if expired or state.flow != flow or state.patient_id != patient.pk:
        clear(request, flow=flow)
        return None
    return state


def clear(request, *, flow: str) -> None:
    request.session.pop(_key(flow), None)
