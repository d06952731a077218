"""IdP sessions that expire end at the services too: the worker's sweep ends sessions idle
for EGISZ_SESSION_IDLE_MINUTES or older than EGISZ_SESSION_MAX_HOURS though no browser came
back, revokes what they issued and tells their services (back-channel logout), as the
browser's own next request does. A service using the session's tokens counts as activity,
so a citizen busy at a service is not logged out under it."""

import datetime

import pytest
import time_machine

from egisz.common.audit.models import AuditEvent
from egisz.idp.authn import services
from egisz.idp.authn.models import AccountSession
from egisz.idp.oidc import backchannel
from egisz.idp.oidc.models import LogoutDelivery
from tests.idp.helpers_login import is_logged_in, log_in
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 5, 12, 8, 0, tzinfo=datetime.UTC)
MINUTE = 60


@pytest.fixture
def account(make_account):
    return make_account()


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def logged_in(client, account, password, rp, clock):
    """A citizen logged in at the IdP and, through it, at the service."""
    log_in(client, account, password)
    return flow.tokens_in_session(client, rp, account)


def told_the_session_ended(receiver, client, tokens) -> bool:
    backchannel.deliver_due()
    [token] = receiver.tokens
    return (
        flow.verify(client, token).claims["sid"]
        == flow.verify(client, tokens["id_token"]).claims["sid"]
    )


def test_the_sweep_ends_an_idle_session_and_tells_its_services(
    client, account, rp, logged_in, clock, logout_receiver
):
    clock.shift(14 * MINUTE)
    assert services.end_expired_sessions() == 0
    clock.shift(2 * MINUTE)
    assert services.end_expired_sessions() == 1
    assert AccountSession.objects.get(account=account).ended_at is not None
    assert AuditEvent.objects.filter(action="session.expired", subject_id=str(account.pk)).exists()
    assert flow.refresh(client, rp, logged_in["refresh_token"]).status_code == 400
    assert told_the_session_ended(logout_receiver, client, logged_in)
    assert not is_logged_in(client)
    assert services.end_expired_sessions() == 0


def test_the_sweep_ends_a_session_past_its_lifetime(
    client, account, rp, logged_in, clock, settings
):
    settings.SESSION_MAX_HOURS = 1
    for _step in range(6):
        clock.shift(10 * MINUTE)
        assert is_logged_in(client)
    clock.shift(MINUTE)
    assert services.end_expired_sessions() == 1
    assert LogoutDelivery.objects.count() == 1


def test_a_service_using_the_sessions_tokens_keeps_it_alive(client, account, rp, logged_in, clock):
    tokens = logged_in
    for _step in range(4):
        clock.shift(9 * MINUTE)
        assert flow.userinfo(client, tokens["access_token"]).status_code == 200
        tokens = flow.refresh(client, rp, tokens["refresh_token"]).json()
        assert services.end_expired_sessions() == 0
    # 36 minutes without a page of the IdP: the citizen was busy at the service.
    assert is_logged_in(client)
    clock.shift(16 * MINUTE)
    assert services.end_expired_sessions() == 1


def test_expiry_noticed_by_the_browser_tells_the_services_too(
    client, account, rp, logged_in, clock, logout_receiver
):
    clock.shift(16 * MINUTE)
    response = client.get("/settings/sessions/")
    assert response.status_code == 401 and "Сессия истекла" in response.content.decode()
    assert flow.refresh(client, rp, logged_in["refresh_token"]).status_code == 400
    assert told_the_session_ended(logout_receiver, client, logged_in)
    assert AuditEvent.objects.filter(action="session.expired").count() == 1
    assert services.end_expired_sessions() == 0


def test_a_code_issued_in_a_session_that_has_ended_is_refused(client, account, rp, password):
    log_in(client, account, password)
    code = flow.issue_code(rp, account, auth_context=flow.login_context(client))
    client.post("/logout/")
    response = flow.exchange(client, rp, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_the_worker_runs_the_sweep(client, account, logged_in, clock, settings):
    from django.core.management import call_command

    assert "egisz.idp.authn.services.end_expired_sessions" in settings.PERIODIC_JOBS
    clock.shift(16 * MINUTE)
    call_command("worker", "--once")
    assert AccountSession.objects.get(account=account).ended_at is not None
