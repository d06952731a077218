"""«Смените пароль и завершите сеансы» reaches the services too: someone who learnt the
password and logged in to a service once loses its tokens (access, refresh, ID) when the
owner recovers or changes the password, ends the other sessions, or an operator blocks
the account; each service is told by a back-channel logout token. Ending one session takes
only what that session issued."""

import pytest
from django.urls import reverse

from egisz.common.audit.models import AuditEvent
from egisz.common.request_meta import SYSTEM
from egisz.idp.authn.models import AccountSession
from egisz.idp.oidc import backchannel
from egisz.idp.oidc.models import LogoutDelivery
from egisz.idp.security import services as security_services
from tests.idp.helpers_login import browser, is_logged_in, latest_code, log_in
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Severnoe#Siyanie42"


@pytest.fixture(autouse=True)
def many_logins(settings):
    settings.OTP_RESEND_SECONDS = 0
    settings.OTP_MAX_PER_HOUR = 100


@pytest.fixture
def account(make_account):
    return make_account()


@pytest.fixture
def intruder(account, password, rp):
    """Someone who learnt the password logged in to the service once, in a browser of
    their own, and keeps the tokens it got."""
    http = browser(ip="198.51.100.66")
    log_in(http, account, password)
    tokens = flow.tokens_in_session(http, rp, account)
    return http, tokens


def shut_out(http, rp, tokens) -> bool:
    """What the intruder's service notices: nothing it holds works any more."""
    refreshed = flow.refresh(http, rp, tokens["refresh_token"])
    return (
        refreshed.status_code == 400
        and refreshed.json()["error"] == "invalid_grant"
        and flow.userinfo(http, tokens["access_token"]).status_code == 401
        and flow.introspect(http, rp, tokens["refresh_token"]).json() == {"active": False}
        # The ID token no longer names a login either.
        and http.get("/oidc/logout/", {"id_token_hint": tokens["id_token"]}).status_code == 400
    )


def told_every_session_ended(receiver, http, rp, account) -> bool:
    backchannel.deliver_due()
    [token] = receiver.tokens
    claims = flow.verify(http, token).claims
    return (
        claims["sub"] == str(account.sub) and "sid" not in claims and claims["aud"] == rp.client_id
    )


def revocation_event(account, reason: str) -> AuditEvent:
    return AuditEvent.objects.get(
        action="oidc.tokens_revoked", subject_id=str(account.pk), details__reason=reason
    )


def test_password_recovery_shuts_the_service_out(client, account, rp, intruder, logout_receiver):
    http, tokens = intruder
    client.post("/recover/", {"contact": account.phone})
    client.post("/recover/code/", {"code": latest_code(account.phone, "восстановления")})
    response = client.post(
        "/recover/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert shut_out(http, rp, tokens)
    event = revocation_event(account, "password_recovered")
    assert event.details["refresh_tokens_revoked"] == 1 and event.details["clients"] == [
        rp.client_id
    ]
    assert told_every_session_ended(logout_receiver, http, rp, account)


def test_password_change_shuts_out_every_service_and_keeps_this_browser_logged_in(
    client, account, password, rp, intruder, logout_receiver
):
    http, tokens = intruder
    log_in(client, account, password)
    own = flow.tokens_in_session(client, rp, account)
    response = client.post(
        "/settings/password/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert is_logged_in(client) and not is_logged_in(http)
    assert shut_out(http, rp, tokens)
    # Every token of the account goes, this browser's services' too.
    assert flow.refresh(client, rp, own["refresh_token"]).status_code == 400
    assert revocation_event(account, "password_changed").details["refresh_tokens_revoked"] == 2
    assert told_every_session_ended(logout_receiver, http, rp, account)


def test_ending_the_other_sessions_shuts_the_service_out(
    client, account, password, rp, intruder, logout_receiver
):
    http, tokens = intruder
    log_in(client, account, password)
    response = client.post("/settings/sessions/end-others/")
    assert response.status_code == 302
    assert is_logged_in(client) and not is_logged_in(http)
    assert shut_out(http, rp, tokens)
    assert revocation_event(account, "other_sessions_ended")
    assert told_every_session_ended(logout_receiver, http, rp, account)


def test_blocking_by_an_operator_shuts_the_service_out(
    client, make_account, account, rp, intruder, logout_receiver
):
    http, tokens = intruder
    admin = make_account(phone="+79161110007", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        f"/support/accounts/account/{account.pk}/change/",
        {
            "is_staff": "",
            "groups": [],
            "confirmations-TOTAL_FORMS": "0",
            "confirmations-INITIAL_FORMS": "0",
            "registry_checks-TOTAL_FORMS": "0",
            "registry_checks-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.is_active
    assert not AccountSession.objects.filter(account=account, ended_at__isnull=True).exists()
    event = revocation_event(account, "account_blocked")
    assert event.actor_id == str(admin.pk)
    # Unblocked again, nothing obtained before the block comes back to life.
    account.is_active = True
    account.save(update_fields=["is_active"])
    assert shut_out(http, rp, tokens)
    assert told_every_session_ended(logout_receiver, http, rp, account)


def test_ending_one_session_takes_only_what_that_session_issued(
    client, account, password, rp, intruder, logout_receiver
):
    http, tokens = intruder
    log_in(client, account, password)
    own = flow.tokens_in_session(client, rp, account)
    record = AccountSession.objects.get(session_key=http.session.session_key)
    response = client.post(reverse("security:session_end", args=[record.pk]))
    assert response.status_code == 302
    assert shut_out(http, rp, tokens)
    assert flow.refresh(client, rp, own["refresh_token"]).status_code == 200
    backchannel.deliver_due()
    [token] = logout_receiver.tokens
    claims = flow.verify(http, token).claims
    assert claims["sid"] == flow.verify(http, tokens["id_token"]).claims["sid"]


def test_the_revocation_is_part_of_the_password_change(
    account, password, rp, intruder, monkeypatch
):
    """The change, the revocation, the audit event and the logout tokens land together or
    not at all."""
    http, tokens = intruder

    def broken(*args, **kwargs):
        raise RuntimeError("the SMS could not be queued")

    monkeypatch.setattr("egisz.idp.authn.passwords.notify_owner", broken)
    with pytest.raises(RuntimeError):
        security_services.change_password(
            account=account, new_password=NEW_PASSWORD, meta=SYSTEM, current_session_key=None
        )
    account.refresh_from_db()
    assert account.check_password(password)
    assert flow.refresh(http, rp, tokens["refresh_token"]).status_code == 200
    assert not LogoutDelivery.objects.exists()
    assert not AuditEvent.objects.filter(action="oidc.tokens_revoked").exists()


def test_ending_a_session_takes_an_access_token_that_came_without_a_refresh_token(
    client, account, password
):
    """A service registered without refresh tokens holds only the access token of the
    code: it goes with the session, and using it keeps that session alive until then."""
    rp = flow.make_client(always_refresh_tokens=False)
    http = browser(ip="198.51.100.67")
    log_in(http, account, password)
    tokens = flow.tokens_in_session(http, rp, account)
    assert "refresh_token" not in tokens
    assert flow.userinfo(http, tokens["access_token"]).status_code == 200
    log_in(client, account, password)
    record = AccountSession.objects.get(session_key=http.session.session_key)
    response = client.post(reverse("security:session_end", args=[record.pk]))
    assert response.status_code == 302
    assert flow.userinfo(http, tokens["access_token"]).status_code == 401
