"""A change of phone, e-mail or address waiting for its code, kept in the session.

The state names the patient who started it: a session that somehow carries another
patient's state (or a state past its time) is treated as having none. Nothing changes in
the database until the code is confirmed. One session plan per kind of change
(egisz.common.flow.session_plans), so a phone change and an address change can wait at once.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from egisz.common.flow.session_plans import SessionPlan, now_iso

PHONE = "phone"
EMAIL = "email"
ADDRESS = "address"
FLOWS = (PHONE, EMAIL, ADDRESS)

# The whole change (resent codes included) must be confirmed within this time.
PENDING_TTL = timedelta(minutes=30)


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


PLANS = {
    flow: SessionPlan(f"egisz_cabinet_pending_{flow}", PendingChange, PENDING_TTL) for flow in FLOWS
}


def start(request, *, patient, flow: str, target: str, **fields) -> PendingChange:
    """A new change replaces any earlier one of the same flow."""
    state = PendingChange(
        patient_id=patient.pk, flow=flow, target=target, started_at=now_iso(), **fields
    )
    PLANS[flow].save(request, state)
    return state


def load(request, *, patient, flow: str) -> PendingChange | None:
    state = PLANS[flow].load(request)
    if state is not None and (state.flow != flow or state.patient_id != patient.pk):
        clear(request, flow=flow)
        return None
    return state


def clear(request, *, flow: str) -> None:
    PLANS[flow].clear(request)
