"""The provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0): a logout
token POSTed to /sso/backchannel-logout/ ends every cabinet session of that provider session
(`sid`) or citizen (`sub`) at its next request, and a token that fails any check of §2.6 is
refused with 400 and ends nothing."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from egisz.cabinet.patients.models import Patient
from egisz.cabinet.portal.limited import SESSION_KEY as LIMITED_KEY
from egisz.cabinet.sso import client as sso_client
from egisz.cabinet.sso.models import ProviderGrant, ProviderSessionLink, UsedLogoutToken
from egisz.cabinet.sso.services import purge_ended_logins
from egisz.common.audit.models import AuditEvent
from tests.cabinet.sso.provider import LOGOUT_TAMPERING, STANDARD

pytestmark = pytest.mark.django_db

ENDPOINT = "/sso/backchannel-logout/"
PERSONAL = "/personal/"
LOGGED_OUT = (
    "Госуслуги сообщили, что ваш сеанс там завершён (выход, смена пароля или отзыв доступа "
    "к данным), поэтому сеанс кабинета тоже завершён. Чтобы продолжить, войдите снова."
)


@pytest.fixture
def browser(provider):
    """A browser of its own logged in through the provider: ``browser(sub, sid)``."""

    def open_browser(sub: str = "subject-maria", sid: str | None = None, *, acr=None) -> Client:
        browser = Client()
        provider.acr = acr or provider.acr
        location = browser.get(reverse("sso:login"))["Location"]
        browser.get(provider.approve(location, sub=sub, sid=sid))
        Patient.objects.update(profile_completed_at=timezone.now())
        return browser

    return open_browser


def post_logout(provider, **claims):
    """The provider's POST: the logout token as the form field logout_token."""
    return Client(enforce_csrf_checks=True).post(
        ENDPOINT, {"logout_token": provider.logout_token(**claims)}
    )


def assert_logged_in(browser: Client) -> None:
    assert browser.get(PERSONAL).status_code == 200
    assert SESSION_KEY in browser.session


def assert_logged_out(browser: Client) -> None:
    """The next page of an ended session: «Главная» saying why, then a visitor's pages."""
    response = browser.get(PERSONAL)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert SESSION_KEY not in browser.session
    assert LIMITED_KEY not in browser.session
    home = browser.get(reverse("portal:home")).content.decode()
    assert LOGGED_OUT in home
    assert "Войти через Госуслуги" in home
    assert "Смирнова" not in home
    again = browser.get(PERSONAL)
    assert again["Location"].startswith(reverse("sso:login"))


def accepted() -> list[dict]:
    return [
        event.details
        for event in AuditEvent.objects.filter(action="cabinet.backchannel_logout").order_by("pk")
    ]


def refusals() -> list[str]:
    return [
        event.details["reason"]
        for event in AuditEvent.objects.filter(action="cabinet.backchannel_logout_refused")
    ]


# --- What a valid logout token ends -----------------------------------------------------------


def test_logout_token_ends_that_provider_session_and_spares_another_patient(provider, browser):
    maria = browser("subject-maria", "sid-maria")
    ivan = browser("subject-ivan", "sid-ivan")
    assert_logged_in(maria)

    response = post_logout(provider, sid="sid-maria", sub="subject-maria")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content) == {}
    assert_logged_out(maria)
    assert_logged_in(ivan)
    # Her grant went with the session; his stays.
    assert list(ProviderGrant.objects.values_list("subject", flat=True)) == ["subject-ivan"]
    event = AuditEvent.objects.get(action="cabinet.backchannel_logout")
    maria_user = Patient.objects.get(subject="subject-maria").user_id
    assert event.actor_id == event.subject_id == str(maria_user)
    assert event.details["sessions"] == 1 and event.details["by"] == "sid"


def test_sid_alone_ends_only_that_provider_session_of_the_citizen(provider, browser):
    phone = browser("subject-maria", "sid-phone")
    laptop = browser("subject-maria", "sid-laptop")
    assert post_logout(provider, sid="sid-phone").status_code == 200
    assert_logged_out(phone)
    assert_logged_in(laptop)


def test_sub_alone_ends_every_session_of_the_citizen(provider, browser):
    phone = browser("subject-maria", "sid-phone")
    laptop = browser("subject-maria")  # an ID token without sid
    ivan = browser("subject-ivan", "sid-ivan")
    assert post_logout(provider, sub="subject-maria").status_code == 200
    assert_logged_out(phone)
    assert_logged_out(laptop)
    assert_logged_in(ivan)
    assert accepted()[-1]["sessions"] == 2 and accepted()[-1]["by"] == "sub"


def test_session_whose_id_token_had_no_sid_is_found_by_sub(provider, browser):
    """The provider adds sid to ID tokens later than to logout tokens: a session it cannot
    name by sid is ended by the subject the token carries with it."""
    maria = browser("subject-maria")
    ivan = browser("subject-ivan")
    assert post_logout(provider, sid="sid-unknown", sub="subject-maria").status_code == 200
    assert_logged_out(maria)
    assert_logged_in(ivan)


def test_sid_of_another_citizen_ends_nothing(provider, browser):
    maria = browser("subject-maria", "sid-maria")
    assert post_logout(provider, sid="sid-maria", sub="subject-ivan").status_code == 200
    assert_logged_in(maria)
    assert accepted()[-1]["sessions"] == 0


def test_limited_mode_session_is_ended_too(provider, browser):
    limited = browser("subject-olga", "sid-olga", acr=STANDARD)
    assert limited.session[LIMITED_KEY]
    assert post_logout(provider, sid="sid-olga").status_code == 200
    response = limited.get(reverse("portal:home"))
    assert response.status_code == 302
    assert LIMITED_KEY not in limited.session
    assert LOGGED_OUT in limited.get(reverse("portal:home")).content.decode()


def test_token_for_nobody_logged_in_is_still_accepted(provider):
    assert post_logout(provider, sub="subject-nobody").status_code == 200
    assert accepted() == [{"sessions": 0, "by": "sub", "jti": accepted()[0]["jti"]}]


def test_a_new_login_after_the_provider_logout_goes_through(provider, browser):
    """A browser still holding the ended session comes back from a new login at the
    provider: the callback is not turned away for the old session."""
    limited = browser("subject-olga", "sid-old", acr=STANDARD)
    post_logout(provider, sid="sid-old")
    provider.acr = "urn:egisz:loa:confirmed"
    location = limited.post(reverse("sso:login"), {"consent": "1"})["Location"]
    response = limited.get(provider.approve(location, sub="subject-olga", sid="sid-new"))
    assert response.status_code == 302 and response["Location"] == reverse("profile:complete")
    assert SESSION_KEY in limited.session
    Patient.objects.update(profile_completed_at=timezone.now())
    assert_logged_in(limited)


def test_key_rotated_at_provider_is_fetched_for_the_logout_token(provider, browser):
    maria = browser("subject-maria", "sid-maria")
    provider.rotate_key()
    assert post_logout(provider, sid="sid-maria").status_code == 200
    assert_logged_out(maria)


# --- Refused tokens ---------------------------------------------------------------------------

REFUSAL_REASONS = {
    "signature": "signature",
    "unknown_key": "unknown_key",
    "stranger_key_same_kid": "signature",
    "alg_none": "algorithm:none",
    "hs256": "algorithm:HS256",
    "issuer": "invalid_claim:iss",
    "audience": "invalid_claim:aud",
    "no_events": "invalid_claim:events",
    "other_event": "invalid_claim:events",
    "events_not_object": "invalid_claim:events",
    "nonce": "nonce_present",
    "no_sid_no_sub": "missing_claim:sid_or_sub",
    "expired": "expired_token",
    "iat_future": "invalid_claim:iat",
    "no_exp": "missing_claim",
    "no_iat": "missing_claim",
    "no_jti": "missing_claim",
    "typ_jwt": "typ:JWT",
}


def test_every_tampering_has_its_expected_reason():
    assert set(LOGOUT_TAMPERING) | {
        "signature",
        "unknown_key",
        "stranger_key_same_kid",
        "alg_none",
    } == set(REFUSAL_REASONS)


@pytest.mark.parametrize("tamper", sorted(REFUSAL_REASONS))
def test_untrustworthy_logout_token_is_refused_and_ends_nothing(provider, browser, tamper):
    maria = browser("subject-maria", "sid-maria")
    response = post_logout(provider, sid="sid-maria", sub="subject-maria", tamper=tamper)
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    body = json.loads(response.content)
    assert body["error"] == "invalid_request" and body["error_description"]
    assert refusals()[-1].startswith(REFUSAL_REASONS[tamper]), refusals()
    assert accepted() == []
    assert_logged_in(maria)
    assert not UsedLogoutToken.objects.exists()


def test_replayed_jti_is_refused(provider, browser):
    token = provider.logout_token(sid="sid-maria", jti="jti-1")
    first = Client().post(ENDPOINT, {"logout_token": token})
    assert first.status_code == 200
    maria = browser("subject-maria", "sid-maria")  # logged in again, same provider session
    replay = Client().post(ENDPOINT, {"logout_token": token})
    assert replay.status_code == 400
    assert json.loads(replay.content)["error"] == "invalid_request"
    # Another token with a used jti is the same replay.
    assert post_logout(provider, sub="subject-maria", jti="jti-1").status_code == 400
    assert refusals() == ["jti_replayed", "jti_replayed"]
    assert_logged_in(maria)


def test_logout_token_is_accepted_until_its_expiry_and_leeway(provider, browser):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        maria = browser("subject-maria", "sid-maria")
        late = provider.logout_token(sid="sid-maria")  # exp: 120 s, leeway 30 s
        on_time = provider.logout_token(sid="sid-maria")
    with time_machine.travel(start + timedelta(seconds=150), tick=False):
        assert Client().post(ENDPOINT, {"logout_token": late}).status_code == 400
        assert refusals() == ["expired_token:exp"]
    with time_machine.travel(start + timedelta(seconds=149), tick=False):
        assert Client().post(ENDPOINT, {"logout_token": on_time}).status_code == 200
    assert_logged_out(maria)


def test_logout_token_issued_in_the_future_is_refused_beyond_leeway(provider):
    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        ahead = provider.logout_token(sub="subject-maria")
        slightly_ahead = provider.logout_token(sub="subject-maria")
    with time_machine.travel(start + timedelta(seconds=29), tick=False):
        assert Client().post(ENDPOINT, {"logout_token": ahead}).status_code == 400
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        assert Client().post(ENDPOINT, {"logout_token": slightly_ahead}).status_code == 200
    assert refusals() == ["invalid_claim:iat"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"logout_token": ""},
        {"logout_token": "not-a-jwt"},
        {"logout_token": ["a.b.c", "d.e.f"]},
        {"logout_token": "x" * 20_000},
        {"token": "a.b.c"},
    ],
    ids=["nothing", "empty", "garbage", "twice", "huge", "other field"],
)
def test_malformed_request_is_refused_with_400(provider, body):
    response = Client().post(ENDPOINT, body)
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content)["error"] == "invalid_request"
    assert len(refusals()) == 1


def test_json_body_is_not_a_logout_request(provider):
    token = provider.logout_token(sub="subject-maria")
    response = Client().post(
        ENDPOINT, json.dumps({"logout_token": token}), content_type="application/json"
    )
    assert response.status_code == 400
    assert refusals() == ["logout_token_missing"]


def test_only_post_is_answered(provider):
    response = Client().get(ENDPOINT)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Cache-Control"] == "no-store"


def test_provider_keys_unreachable_is_a_400_not_a_500(provider, browser):
    maria = browser("subject-maria", "sid-maria")
    token = provider.logout_token(sid="sid-maria")
    # Neither discovery nor keys cached (the sessions stay: they may live in the cache).
    cache.delete(sso_client._cache_key("discovery", provider.url))
    cache.delete(sso_client._cache_key("jwks", f"{provider.url}/jwks"))
    provider.offline = True
    response = Client().post(ENDPOINT, {"logout_token": token})
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "temporarily_unavailable"
    assert refusals() == ["provider_unavailable"]
    provider.offline = False
    # The provider delivers again later: the same token is not spent yet.
    assert Client().post(ENDPOINT, {"logout_token": token}).status_code == 200
    assert_logged_out(maria)


# --- Housekeeping -----------------------------------------------------------------------------


def test_ended_logins_and_used_tokens_are_purged(provider, browser, settings):
    browser("subject-olga", "sid-olga", acr=STANDARD)  # a limited session: a link, no grant
    post_logout(provider, sub="subject-nobody")
    assert ProviderSessionLink.objects.count() == 1 and UsedLogoutToken.objects.count() == 1
    assert purge_ended_logins() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        assert purge_ended_logins() == 1  # the token has expired: its jti may go
    later = timezone.now() + timedelta(hours=settings.SESSION_MAX_HOURS, minutes=6)
    with time_machine.travel(later, tick=False):
        assert purge_ended_logins() == 1
    assert not ProviderSessionLink.objects.exists() and not UsedLogoutToken.objects.exists()


def test_activity_journal_names_the_provider_logout():
    from egisz.cabinet.patients.activity import activity_label

    assert str(activity_label("cabinet.backchannel_logout")) == (
        "Сеанс завершён по сообщению Госуслуг: выход, смена пароля или отзыв доступа"
    )
