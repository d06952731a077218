"""OpenID Connect Back-Channel Logout 1.0, the provider's side: services register a
back-channel logout address, ID tokens carry the session's `sid`, and when a session ends
each of its services receives a signed logout token by POST, through the worker, retried
with back-off while the service is down and never sent during the citizen's request."""

import datetime
import json

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from joserfc import jwt

from egisz.common.audit.models import AuditEvent
from egisz.common.request_meta import SYSTEM
from egisz.idp.oidc import backchannel, consent
from egisz.idp.oidc.models import ClientProfile, LogoutDelivery
from tests.idp import helpers_login
from tests.idp.helpers_login import is_logged_in, log_in
from tests.idp.oidc import flow
from tests.idp.oidc.test_client_admin import form_data, operator_client  # noqa: F401

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 4, 6, 10, 0, tzinfo=datetime.UTC)
EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def account(make_account):
    return make_account()


@pytest.fixture
def browser(client, account, password):
    log_in(client, account, password)
    return client


OTHER_CALLBACK = "https://other.example/cb"


def other_service(backchannel_logout_uri: str = ""):
    return flow.make_client(
        name="Другой сервис",
        redirect_uri=OTHER_CALLBACK,
        backchannel_logout_uri=backchannel_logout_uri,
    )


def id_claims(http, tokens: dict) -> dict:
    return flow.verify(http, tokens["id_token"]).claims


def verify_logout_token(http, token: str, rp) -> dict:
    """What a relying party checks (Back-Channel Logout 1.0 §2.6), with the provider's
    published keys only."""
    decoded = flow.verify(http, token)
    assert decoded.header["typ"] == "logout+jwt"
    claims = decoded.claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": "http://127.0.0.1:8000"},
        aud={"essential": True, "value": rp.client_id},
        iat={"essential": True},
        exp={"essential": True},
        jti={"essential": True},
    ).validate(claims)
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims
    assert claims["exp"] - claims["iat"] <= 120
    return claims


# --- registration and discovery -------------------------------------------------------------


def test_discovery_advertises_back_channel_logout_with_sessions(client):
    metadata = client.get("/.well-known/openid-configuration").json()
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True


def test_create_client_registers_the_back_channel_logout_address(capsys):
    call_command(
        "create_client",
        "--name=Запись к врачу",
        "--redirect-uri=https://partner.example/cb",
        "--scopes=openid fullname",
        "--backchannel-logout-uri=https://partner.example/backchannel-logout",
    )
    client_id = json.loads(capsys.readouterr().out)["client_id"]
    profile = ClientProfile.objects.get(application__client_id=client_id)
    assert profile.backchannel_logout_uri == "https://partner.example/backchannel-logout"


@pytest.mark.parametrize(
    "uri", ["https://partner.example/bcl#x", "ftp://partner.example/bcl", "/bcl", "https:///x"]
)
def test_a_back_channel_logout_address_must_be_absolute_and_without_fragment(uri):
    with pytest.raises(CommandError, match="уведомлений о выходе"):
        call_command(
            "create_client",
            "--name=Запись к врачу",
            "--redirect-uri=https://partner.example/cb",
            "--scopes=openid",
            f"--backchannel-logout-uri={uri}",
        )


def test_the_operator_console_sets_the_address_and_refuses_a_bad_one(operator_client):  # noqa: F811
    bad = {**form_data("fullname"), "profile-0-backchannel_logout_uri": "https://p.example/#x"}
    response = operator_client.post("/support/oauth2_provider/application/add/", bad)
    assert response.status_code == 200
    assert "уведомлений о выходе" in response.content.decode()
    good = {**bad, "profile-0-backchannel_logout_uri": "https://partner.example/bcl"}
    response = operator_client.post("/support/oauth2_provider/application/add/", good)
    assert response.status_code == 302
    profile = ClientProfile.objects.get(application__client_id="partner-admin-made")
    assert profile.backchannel_logout_uri == "https://partner.example/bcl"


# --- sid ------------------------------------------------------------------------------------


def test_id_tokens_carry_a_sid_of_the_session_own_to_each_service(
    browser, rp, account, password, settings
):
    settings.OTP_RESEND_SECONDS = 0
    first = flow.tokens_in_session(browser, rp, account)
    sid = id_claims(browser, first)["sid"]
    # The same IdP session: the same sid, after a refresh and at a second login too.
    refreshed = flow.refresh(browser, rp, first["refresh_token"]).json()
    assert id_claims(browser, refreshed)["sid"] == sid
    assert id_claims(browser, flow.tokens_in_session(browser, rp, account))["sid"] == sid
    # Not the session cookie, and not shared with another service.
    assert browser.session.session_key not in sid
    other = other_service()
    other_tokens = flow.tokens_in_session(browser, other, account, redirect_uri=OTHER_CALLBACK)
    assert id_claims(browser, other_tokens)["sid"] != sid
    # Another browser, another session.
    second = helpers_login.browser()
    log_in(second, account, password)
    assert id_claims(second, flow.tokens_in_session(second, rp, account))["sid"] != sid


def test_a_code_not_issued_in_a_session_gives_no_sid(client, rp, account):
    assert "sid" not in id_claims(client, flow.tokens_for(client, rp, account))


# --- delivery ---------------------------------------------------------------------------------


def test_logging_out_sends_the_service_a_signed_logout_token_by_the_worker(
    browser, rp, account, logout_receiver
):
    tokens = flow.tokens_in_session(browser, rp, account)
    assert browser.post("/logout/").status_code == 302
    # Nothing was sent while the citizen waited: the worker sends it.
    assert logout_receiver.requests == []
    assert backchannel.deliver_due() == 1
    [request] = logout_receiver.requests
    assert request["content_type"] == "application/x-www-form-urlencoded"
    claims = verify_logout_token(browser, request["form"]["logout_token"][0], rp)
    issued = id_claims(browser, tokens)
    assert claims["sid"] == issued["sid"] and claims["sub"] == issued["sub"]
    delivery = LogoutDelivery.objects.get()
    assert delivery.status == LogoutDelivery.Status.DELIVERED and delivery.attempts == 1
    # The tokens of the session went with it.
    assert flow.refresh(browser, rp, tokens["refresh_token"]).status_code == 400
    assert backchannel.deliver_due() == 0


def test_a_service_that_is_down_gets_the_token_once_it_is_up_again(
    browser, rp, account, logout_receiver, settings
):
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    with time_machine.travel(START, tick=False) as clock:
        flow.tokens_in_session(browser, rp, account)
        logout_receiver.down()
        browser.post("/logout/")
        assert backchannel.deliver_due() == 1
        delivery = LogoutDelivery.objects.get()
        assert delivery.status == LogoutDelivery.Status.PENDING and delivery.attempts == 1
        assert "ConnectionError" in delivery.last_error
        assert delivery.next_attempt_at == START + datetime.timedelta(seconds=base)
        assert backchannel.deliver_due() == 0  # not due before the back-off
        clock.shift(base)
        assert backchannel.deliver_due() == 1
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at == START + datetime.timedelta(seconds=3 * base)
        logout_receiver.up()
        clock.shift(2 * base)
        assert backchannel.deliver_due() == 1
        delivery.refresh_from_db()
        assert delivery.status == LogoutDelivery.Status.DELIVERED and delivery.attempts == 3
        [token] = logout_receiver.tokens
        verify_logout_token(browser, token, rp)


def test_an_error_answer_is_retried_too(browser, rp, account, logout_receiver, settings):
    with time_machine.travel(START, tick=False) as clock:
        flow.tokens_in_session(browser, rp, account)
        browser.post("/logout/")
        logout_receiver.status = 500
        backchannel.deliver_due()
        assert LogoutDelivery.objects.get().last_error == "HTTP 500"
        logout_receiver.status = 200
        clock.shift(settings.OUTBOX_RETRY_BASE_SECONDS)
        backchannel.deliver_due()
    assert LogoutDelivery.objects.get().status == LogoutDelivery.Status.DELIVERED
    # Each attempt is a token of its own: a service that keeps used jti values accepts it.
    first, second = logout_receiver.tokens
    assert flow.verify(browser, first).claims["jti"] != flow.verify(browser, second).claims["jti"]


def test_delivery_is_given_up_after_the_retry_period_and_journalled(
    browser, rp, account, logout_receiver, settings
):
    settings.BACKCHANNEL_LOGOUT_RETRY_HOURS = 1
    logout_receiver.down()
    with time_machine.travel(START, tick=False) as clock:
        flow.tokens_in_session(browser, rp, account)
        browser.post("/logout/")
        for _minute in range(120):
            backchannel.deliver_due()
            clock.shift(60)
    delivery = LogoutDelivery.objects.get()
    assert delivery.status == LogoutDelivery.Status.FAILED
    assert delivery.finished_at <= START + datetime.timedelta(hours=1)
    event = AuditEvent.objects.get(action="oidc.backchannel_logout_failed")
    assert event.subject_id == str(account.pk) and event.details["client"] == rp.client_id


def test_the_worker_runs_the_delivery(browser, rp, account, logout_receiver, settings):
    flow.tokens_in_session(browser, rp, account)
    browser.post("/logout/")
    call_command("worker", "--once")
    assert len(logout_receiver.tokens) == 1


@pytest.mark.django_db(transaction=True)
def test_a_logout_queues_its_delivery_as_a_task_when_it_commits(
    browser, rp, account, logout_receiver, settings
):
    settings.PERIODIC_JOBS = {}  # no sweep: only the task queued at commit delivers it
    flow.tokens_in_session(browser, rp, account)
    browser.post("/logout/")
    assert DBTaskResult.objects.filter(
        task_path="egisz.idp.oidc.tasks.deliver_logout", status="READY"
    ).exists()

    call_command("worker", "--once")

    assert len(logout_receiver.tokens) == 1
    assert LogoutDelivery.objects.get().status == LogoutDelivery.Status.DELIVERED


def test_a_service_without_an_address_is_not_queued(browser, account):
    plain = flow.make_client()
    flow.tokens_in_session(browser, plain, account)
    browser.post("/logout/")
    assert not LogoutDelivery.objects.exists()


# --- who is told ------------------------------------------------------------------------------


def test_a_service_asking_for_the_logout_is_not_told_but_the_others_of_the_session_are(
    browser, rp, account, logout_receiver
):
    other = other_service(logout_receiver.uri)
    tokens = flow.tokens_in_session(browser, rp, account)
    other_tokens = flow.tokens_in_session(browser, other, account, redirect_uri=OTHER_CALLBACK)
    # The ID token by POST (RP-Initiated Logout §2), a live one of this session: no question.
    response = browser.post(
        "/oidc/logout/",
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": flow.LOGOUT_URI},
    )
    assert response.status_code == 302 and response["Location"] == flow.LOGOUT_URI
    assert not is_logged_in(browser)
    backchannel.deliver_due()
    [token] = logout_receiver.tokens
    claims = verify_logout_token(browser, token, other)
    assert claims["sid"] == id_claims(browser, other_tokens)["sid"]


def test_only_the_services_of_the_ended_session_are_told(
    browser, rp, account, password, logout_receiver, settings
):
    settings.OTP_RESEND_SECONDS = 0
    second = helpers_login.browser()
    log_in(second, account, password)
    kept = flow.tokens_in_session(second, rp, account)
    ended = flow.tokens_in_session(browser, rp, account)
    browser.post("/logout/")
    backchannel.deliver_due()
    [token] = logout_receiver.tokens
    assert verify_logout_token(browser, token, rp)["sid"] == id_claims(browser, ended)["sid"]
    assert flow.refresh(second, rp, kept["refresh_token"]).status_code == 200


def test_withdrawing_consent_tells_the_service_every_session_ended(
    browser, rp, account, logout_receiver
):
    flow.tokens_in_session(browser, rp, account)
    record = consent.give_consent(
        account=account, application=rp.application, scopes=["openid"], meta=SYSTEM
    )
    response = browser.post(reverse("oidc:linked_service_withdraw", args=[record.pk]))
    assert response.status_code == 302
    backchannel.deliver_due()
    [token] = logout_receiver.tokens
    claims = verify_logout_token(browser, token, rp)
    assert "sid" not in claims and claims["sub"] == str(account.sub)
    assert AuditEvent.objects.get(action="oidc.consent_withdrawn").details["notified"] is True


def test_the_operator_console_lists_deliveries_read_only(
    client, make_account, browser, rp, account, logout_receiver
):
    flow.tokens_in_session(browser, rp, account)
    browser.post("/logout/")
    logout_receiver.status = 503
    backchannel.deliver_due()
    delivery = LogoutDelivery.objects.get()
    admin = make_account(phone="+79161110007", is_staff=True, is_superuser=True)
    console = helpers_login.browser()
    console.force_login(admin)
    listing = console.get("/support/oidc/logoutdelivery/")
    assert listing.status_code == 200
    assert "Уведомления сервисов о выходе" in listing.content.decode()
    page = console.get(f"/support/oidc/logoutdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and "HTTP 503" in page.content.decode()
    assert console.post(f"/support/oidc/logoutdelivery/{delivery.pk}/delete/").status_code == 403
