"""Back-channel logout delivery under several workers, on PostgreSQL: every logout token
is sent once, and no row lock (nor any transaction) is held while a service is called."""

from collections import Counter

import pytest
from django.db import DatabaseError, connection, connections, transaction
from joserfc import jwt

from egisz.idp.oidc import backchannel, keys
from egisz.idp.oidc.models import LogoutDelivery, SignOutReason
from tests.cabinet.concurrency import race
from tests.idp.oidc import flow

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

WORKERS = 4
CITIZENS = 12


@pytest.fixture
def rp(logout_receiver):
    return flow.make_client(backchannel_logout_uri=logout_receiver.uri)


def queue_for(citizens, rp) -> None:
    for account in citizens:
        backchannel.queue_account_logout(account, [rp.application], reason=SignOutReason.LOGOUT)


def subjects(receiver) -> Counter:
    key_set = keys.verification_keys()
    return Counter(jwt.decode(token, key_set).claims["sub"] for token in receiver.tokens)


def test_concurrent_workers_send_each_logout_token_once(make_account, rp, logout_receiver):
    citizens = [make_account(phone=f"+79165550{n:03d}") for n in range(CITIZENS)]
    queue_for(citizens, rp)
    results = race(*[lambda: backchannel.deliver_due(limit=CITIZENS * 2)] * WORKERS)
    assert sum(results) == CITIZENS
    sent = subjects(logout_receiver)
    assert set(sent) == {str(account.sub) for account in citizens}
    assert max(sent.values()) == 1
    assert set(LogoutDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}


def test_no_lock_is_held_while_the_service_answers(make_account, rp, logout_receiver):
    queue_for([make_account()], rp)
    seen = []

    def meanwhile():
        # Another worker, while the service is being called: the row is free to lock and
        # is not due (claimed), so it would not be sent twice either.
        try:
            with transaction.atomic():
                row = LogoutDelivery.objects.select_for_update(nowait=True).get()
                seen.append(("free", row.status, row.attempts))
                seen.append(("due", backchannel._claim() is not None))
        except DatabaseError as error:
            seen.append(("locked", str(error)))
        finally:
            connections.close_all()

    logout_receiver.on_request = meanwhile
    assert backchannel.deliver_due() == 1
    assert seen == [("free", "pending", 1), ("due", False)]
    assert LogoutDelivery.objects.get().status == LogoutDelivery.Status.DELIVERED
