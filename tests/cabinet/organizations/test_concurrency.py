"""Row locks on PostgreSQL: two decisions on one request, or two requests of one patient at
the same moment, never both go through."""

from egisz.cabinet.organizations.models import Attachment
from egisz.cabinet.organizations.services import (
    AttachmentRefused,
    accept_attachment,
    reject_attachment,
    request_attachment,
)
from tests.cabinet.concurrency import POSTGRES_RACE, race

pytestmark = POSTGRES_RACE


def test_two_operators_deciding_at_once_one_wins(
    patient, organization, make_policy, operator, meta
):
    make_policy(patient)
    pending = request_attachment(patient=patient, organization=organization, meta=meta)
    results = race(
        lambda: accept_attachment(attachment_id=pending.pk, operator=operator, meta=meta),
        lambda: reject_attachment(
            attachment_id=pending.pk, operator=operator, reason="нет мест", meta=meta
        ),
    )
    assert sum(isinstance(result, Attachment) for result in results) == 1
    assert sum(isinstance(result, AttachmentRefused) for result in results) == 1
    pending.refresh_from_db()
    assert pending.status in {"accepted", "rejected"}


def test_two_requests_at_once_leave_one_pending(patient, make_organization, make_policy, meta):
    make_policy(patient)
    first, second = make_organization(), make_organization()
    results = race(
        lambda: request_attachment(patient=patient, organization=first, meta=meta),
        lambda: request_attachment(patient=patient, organization=second, meta=meta),
    )
    assert sum(isinstance(result, Attachment) for result in results) == 1
    assert sum(isinstance(result, AttachmentRefused) for result in results) == 1
    assert Attachment.objects.filter(patient=patient, status="pending").count() == 1
