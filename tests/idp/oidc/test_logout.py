"""RP-initiated logout: the IdP session ends, the tokens issued in it go, and the browser
returns only to a post-logout address registered for that service exactly. Nothing ends
without asking unless the request carries a live ID token of this very session; a browser
without an IdP session ends nothing."""

import re

import pytest
import time_machine
from joserfc import jwt
from joserfc.jwk import RSAKey

from egisz.common.audit.models import AuditEvent
from egisz.idp.authn.models import AccountSession
from tests.idp import helpers_login
from tests.idp.helpers_login import is_logged_in, log_in
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account):
    return make_account()


@pytest.fixture
def rp():
    return flow.make_client()


@pytest.fixture
def browser(client, account, password):
    log_in(client, account, password)
    return client


@pytest.fixture
def tokens(client, rp, account):
    """The service's tokens from a login in this browser's IdP session (if it has one)."""
    return flow.tokens_in_session(client, rp, account)


def logout(http, **params):
    return http.get("/oidc/logout/", params)


def test_logout_ends_the_idp_session_and_returns_to_the_service_with_state(
    browser, rp, account, tokens
):
    session_key = browser.session.session_key
    other = flow.make_client(name="Другой сервис", redirect_uri="https://other.example/cb")
    other_tokens = flow.tokens_for(browser, other, account, redirect_uri="https://other.example/cb")

    response = logout(
        browser,
        id_token_hint=tokens["id_token"],
        post_logout_redirect_uri=flow.LOGOUT_URI,
        state="af0ifjsldkj",
    )
    assert response.status_code == 302
    assert response["Location"] == f"{flow.LOGOUT_URI}?state=af0ifjsldkj"
    assert not is_logged_in(browser)
    assert AccountSession.objects.get(session_key=session_key).ended_at is not None
    event = AuditEvent.objects.get(action="oidc.logout")
    assert event.subject_id == str(account.pk) and event.details["client"] == rp.client_id
    # The service's tokens are revoked; another service's are not.
    assert flow.introspect(browser, rp, tokens["access_token"]).json() == {"active": False}
    assert flow.introspect(browser, rp, tokens["refresh_token"]).json() == {"active": False}
    assert flow.userinfo(browser, other_tokens["access_token"]).status_code == 200


def test_without_state_the_address_is_returned_to_as_registered(browser, tokens):
    response = logout(
        browser, id_token_hint=tokens["id_token"], post_logout_redirect_uri=flow.LOGOUT_URI
    )
    assert response["Location"] == flow.LOGOUT_URI


def test_without_an_address_the_citizen_lands_on_the_login_page(browser, tokens):
    response = logout(browser, id_token_hint=tokens["id_token"])
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert not is_logged_in(browser)


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/bye",
        "https://rp.example/bye/more",
        "https://rp.example/bye?next=https://evil.example",
        "https://rp.example/BYE",
        "https://rp.example:8443/bye",
        "http://rp.example/bye",
        "javascript:alert(1)",
    ],
)
def test_an_unregistered_address_is_never_followed(browser, tokens, uri):
    response = logout(browser, id_token_hint=tokens["id_token"], post_logout_redirect_uri=uri)
    assert response.status_code == 400
    assert "Location" not in response
    assert "не зарегистрирован" in response.content.decode()
    assert is_logged_in(browser)


@pytest.mark.parametrize(
    "hint",
    [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
        "x" * 50_000,
        "ЖЖЖ",
    ],
)
def test_a_bad_hint_is_an_error_page_not_a_500(browser, hint):
    response = logout(browser, id_token_hint=hint, post_logout_redirect_uri=flow.LOGOUT_URI)
    assert response.status_code == 400 and "Location" not in response
    assert is_logged_in(browser)


def test_a_hint_signed_by_another_issuer_is_refused(browser, rp, account, tokens, settings):
    key = RSAKey.generate_key(2048, parameters={"kid": "evil"}, private=True)
    claims = flow.verify(browser, tokens["id_token"]).claims
    forged = jwt.encode({"alg": "RS256", "kid": "evil"}, claims, key)
    response = logout(browser, id_token_hint=forged, post_logout_redirect_uri=flow.LOGOUT_URI)
    assert response.status_code == 400 and is_logged_in(browser)


def test_an_access_token_is_not_an_id_token_hint(browser, tokens):
    response = logout(
        browser, id_token_hint=tokens["access_token"], post_logout_redirect_uri=flow.LOGOUT_URI
    )
    assert response.status_code == 400 and is_logged_in(browser)


def test_an_unknown_client_is_an_error_page(browser):
    response = logout(browser, client_id="nobody", post_logout_redirect_uri=flow.LOGOUT_URI)
    assert response.status_code == 400 and "Location" not in response
    response = logout(browser, client_id="a\x00b")
    assert response.status_code == 400


def test_the_client_id_must_match_the_hint(browser, tokens):
    other = flow.make_client(name="Другой сервис")
    response = logout(
        browser,
        id_token_hint=tokens["id_token"],
        client_id=other.client_id,
        post_logout_redirect_uri=flow.LOGOUT_URI,
    )
    assert response.status_code == 400 and is_logged_in(browser)


def test_an_address_without_a_client_is_refused(browser):
    response = logout(browser, post_logout_redirect_uri=flow.LOGOUT_URI)
    assert response.status_code == 400 and "Location" not in response


def test_a_client_id_with_a_registered_address_works_without_a_hint_after_asking(browser, rp):
    page = logout(browser, client_id=rp.client_id, post_logout_redirect_uri=flow.LOGOUT_URI)
    assert page.status_code == 200
    assert "Выйти из учётной записи?" in page.content.decode()
    response = browser.post(
        "/oidc/logout/",
        {
            "client_id": rp.client_id,
            "post_logout_redirect_uri": flow.LOGOUT_URI,
            "state": "s1",
            "allow": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{flow.LOGOUT_URI}?state=s1"
    assert not is_logged_in(browser)


def form_action(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part for part in policy.split("; ") if part.startswith("form-action"))


def test_the_question_page_lets_its_answer_redirect_to_the_service(browser, rp):
    # Browsers check the redirect after «Выйти» against the page's form-action.
    page = logout(browser, client_id=rp.client_id, post_logout_redirect_uri=flow.LOGOUT_URI)
    origin = "/".join(flow.LOGOUT_URI.split("/")[:3])
    assert form_action(page) == f"form-action 'self' {origin}"


def test_an_unregistered_address_is_not_allowed_by_the_policy(browser, rp):
    page = logout(browser, client_id=rp.client_id, post_logout_redirect_uri="https://evil.example/")
    assert page.status_code == 400
    assert form_action(page) == "form-action 'self'"


def test_without_a_hint_the_citizen_is_asked_and_may_stay(browser):
    page = logout(browser)
    assert page.status_code == 200
    assert "Выйти" in page.content.decode() and "Остаться" in page.content.decode()
    stay = browser.post("/oidc/logout/", {"answer": "1"})
    assert stay.status_code == 400 and "Вы остались в системе" in stay.content.decode()
    assert is_logged_in(browser)
    leave = browser.post("/oidc/logout/", {"allow": "on"})
    assert leave.status_code == 302 and leave["Location"] == "/login/"
    assert not is_logged_in(browser)


def test_a_hint_for_another_citizen_asks_first(browser, rp, make_account):
    stranger = make_account(first_name="Олег")
    hint = flow.tokens_for(browser, rp, stranger)["id_token"]
    page = logout(browser, id_token_hint=hint, post_logout_redirect_uri=flow.LOGOUT_URI)
    assert page.status_code == 200 and is_logged_in(browser)


def test_logged_out_already_the_citizen_is_asked_and_nothing_is_revoked(
    client, rp, account, tokens
):
    # A bare GET with a valid hint from a browser without an IdP session: no revocation
    # (it used to revoke every token of the citizen at the service).
    page = logout(
        client, id_token_hint=tokens["id_token"], post_logout_redirect_uri=flow.LOGOUT_URI
    )
    assert page.status_code == 200
    assert "Вы не вошли на Госуслуги" in page.content.decode()
    assert flow.userinfo(client, tokens["access_token"]).status_code == 200
    response = client.post(
        "/oidc/logout/",
        {
            "answer": "1",
            "allow": "on",
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": flow.LOGOUT_URI,
            "state": "s2",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{flow.LOGOUT_URI}?state=s2"
    assert flow.userinfo(client, tokens["access_token"]).status_code == 200
    assert flow.refresh(client, rp, tokens["refresh_token"]).status_code == 200
    assert AuditEvent.objects.get(action="oidc.logout").details["session_ended"] is False


def test_an_expired_hint_is_accepted_but_never_ends_a_newer_login(
    client, rp, account, password, settings
):
    """A two-day-old ID token of an earlier login is still a hint (the service is known,
    its post-logout address accepted) but ends nothing by itself: not the newer session,
    not the tokens it issued."""
    settings.OTP_RESEND_SECONDS = 0
    with time_machine.travel("2026-06-01 09:00Z", tick=False) as clock:
        log_in(client, account, password)
        old = flow.tokens_in_session(client, rp, account)
        clock.shift(48 * 3600)
        browser = helpers_login.browser()
        log_in(browser, account, password)
        new = flow.tokens_in_session(browser, rp, account)
        page = logout(
            browser, id_token_hint=old["id_token"], post_logout_redirect_uri=flow.LOGOUT_URI
        )
        assert page.status_code == 200 and "Выйти из учётной записи?" in page.content.decode()
        assert is_logged_in(browser)
        assert flow.userinfo(browser, new["access_token"]).status_code == 200
        # Asked and agreed: the browser's own session ends, with what it issued.
        response = browser.post(
            "/oidc/logout/",
            {
                "answer": "1",
                "allow": "on",
                "id_token_hint": old["id_token"],
                "post_logout_redirect_uri": flow.LOGOUT_URI,
            },
        )
        assert response.status_code == 302 and response["Location"] == flow.LOGOUT_URI
        assert not is_logged_in(browser)
        assert flow.userinfo(browser, new["access_token"]).status_code == 401


# --- POST, logout_hint and the question's protection -----------------------------------------


@pytest.fixture
def strict(browser):
    """The logged-in browser with CSRF checks on, as a real browser meets them."""
    browser.handler.enforce_csrf_checks = True
    return browser


def csrf_token(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def test_a_service_may_send_the_logout_request_by_post(strict, tokens):
    # RP-Initiated Logout §2: GET and POST. It used to be refused with «Форма устарела».
    response = strict.post(
        "/oidc/logout/",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": flow.LOGOUT_URI,
            "state": "p1",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{flow.LOGOUT_URI}?state=p1"
    assert not is_logged_in(strict)


@pytest.mark.parametrize("method", ["get", "post"])
def test_client_id_and_logout_hint_ask_the_citizen_first(strict, rp, tokens, method):
    sid = flow.verify(strict, tokens["id_token"]).claims["sid"]
    send = getattr(strict, method)
    page = send(
        "/oidc/logout/",
        {
            "client_id": rp.client_id,
            "logout_hint": sid,
            "post_logout_redirect_uri": flow.LOGOUT_URI,
        },
    )
    assert page.status_code == 200 and "Выйти из учётной записи?" in page.content.decode()
    assert 'name="logout_hint"' in page.content.decode()
    assert is_logged_in(strict)
    response = strict.post(
        "/oidc/logout/",
        {
            "answer": "1",
            "allow": "on",
            "client_id": rp.client_id,
            "logout_hint": sid,
            "post_logout_redirect_uri": flow.LOGOUT_URI,
            "csrfmiddlewaretoken": csrf_token(page),
        },
    )
    assert response.status_code == 302 and response["Location"] == flow.LOGOUT_URI
    assert not is_logged_in(strict)


def test_an_answer_forged_by_another_site_is_refused(strict, rp):
    response = strict.post(
        "/oidc/logout/",
        {"answer": "1", "allow": "on", "client_id": rp.client_id},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert is_logged_in(strict)


def test_a_malformed_logout_hint_is_an_error_page(browser, rp):
    response = logout(browser, client_id=rp.client_id, logout_hint="x" * 5000)
    assert response.status_code == 400 and "составлен неверно" in response.content.decode()
    response = browser.get(
        "/oidc/logout/?client_id=" + rp.client_id + "&logout_hint=a&logout_hint=b"
    )
    assert response.status_code == 400
    assert is_logged_in(browser)


def test_ending_the_session_keeps_the_services_tokens_from_other_sessions(
    browser, rp, account, tokens
):
    # The hint's own session ends with its tokens; a login of the same citizen at the same
    # service elsewhere (another browser, an app) is not this browser's to end.
    elsewhere = flow.tokens_for(browser, rp, account)
    response = logout(browser, id_token_hint=tokens["id_token"])
    assert response.status_code == 302 and not is_logged_in(browser)
    assert flow.userinfo(browser, tokens["access_token"]).status_code == 401
    assert flow.refresh(browser, rp, elsewhere["refresh_token"]).status_code == 200
