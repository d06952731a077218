"""Sessions: «Выйти» (RP-initiated logout), idle and absolute timeouts with «Сессия истекла»,
and the grant check that ends a session whose consent was withdrawn at the provider."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from egisz.cabinet.patients.models import Patient
from egisz.cabinet.portal.limited import SESSION_KEY as LIMITED_KEY
from egisz.cabinet.sso.models import ProviderGrant, ProviderSessionLink
from egisz.cabinet.sso.session import GRANT_KEY, IDLE_KEY, STARTED_KEY
from egisz.common.audit.models import AuditEvent
from tests.cabinet.sso.provider import STANDARD, query_of
from tests.cabinet.test_production_settings import import_cabinet_settings

pytestmark = pytest.mark.django_db

ABOUT = "/about/"
REVOKED_MESSAGE = (
    "Доступ к данным отозван на Госуслугах, сеанс кабинета завершён. "
    "Чтобы продолжить, войдите снова."
)


@pytest.fixture
def logged_in(client, provider, login_through_provider):
    """A patient logged in through the provider, profile complete."""
    login_through_provider()
    Patient.objects.update(profile_completed_at=timezone.now())
    return client


# --- «Выйти» ---------------------------------------------------------------------------------


def test_logout_ends_session_and_sends_browser_to_provider(logged_in, provider):
    response = logged_in.post(reverse("sso:logout"))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{provider.url}/logout?")
    query = query_of(location)
    # The GET URL stays in browser history and server logs: no ID token in it, the
    # session named by client_id and logout_hint (the subject: this ID token had no sid).
    assert query == {
        "client_id": provider.client_id,
        "logout_hint": provider.sub,
        "post_logout_redirect_uri": "http://testserver/",
    }
    assert SESSION_KEY not in logged_in.session
    assert GRANT_KEY not in logged_in.session
    assert not ProviderGrant.objects.exists()
    assert not ProviderSessionLink.objects.exists()
    event = AuditEvent.objects.get(action="cabinet.logout")
    assert event.actor_id == str(Patient.objects.get().user_id)
    # The old session is gone: a page that needs the patient sends to the login.
    assert logged_in.get(ABOUT).status_code == 200
    assert "Войти через Госуслуги" in logged_in.get(reverse("portal:home")).content.decode()


def test_logout_names_the_provider_session_and_carries_no_token(
    client, provider, start_login, grant_check
):
    client.get(provider.approve(start_login(), sid="idp-session-1"))
    provider.expire_access_tokens()
    client.get(ABOUT)  # refreshed: a new ID token came, and is not kept either
    assert provider.token_grant_types()[-1] == "refresh_token"
    response = client.post(reverse("sso:logout"))
    query = query_of(response["Location"])
    assert query["logout_hint"] == "idp-session-1"
    assert "id_token_hint" not in query
    assert "eyJ" not in response["Location"]  # no JWT of any kind


def test_logout_is_post_only(logged_in):
    assert logged_in.get(reverse("sso:logout")).status_code == 405
    assert SESSION_KEY in logged_in.session


def test_logout_needs_csrf_token(provider, login_through_provider):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("sso:logout"))
    assert response.status_code == 403


def test_logout_from_limited_mode_ends_provider_session_too(client, provider, start_login):
    provider.acr = STANDARD
    client.get(provider.approve(start_login(), sid="idp-session-2"))
    response = client.post(reverse("sso:logout"))
    query = query_of(response["Location"])
    assert query["logout_hint"] == "idp-session-2"
    assert "id_token_hint" not in query
    assert LIMITED_KEY not in client.session
    assert not ProviderSessionLink.objects.exists()


def test_logout_after_refused_consent_ends_provider_session_by_client_id(
    client, provider, start_login
):
    url = start_login()
    client.get("/sso/callback/", {"error": "access_denied", "state": query_of(url)["state"]})
    assert LIMITED_KEY in client.session
    response = client.post(reverse("sso:logout"))
    params = query_of(response["Location"])
    assert response["Location"].startswith(provider.url)
    assert "id_token_hint" not in params and "logout_hint" not in params
    assert params["client_id"] and params["post_logout_redirect_uri"]
    assert LIMITED_KEY not in client.session


def test_logout_without_end_session_endpoint_goes_home(logged_in, provider):
    provider.publish_end_session = False
    from django.core.cache import cache

    cache.clear()  # the discovery document is read again
    response = logged_in.post(reverse("sso:logout"))
    assert response["Location"] == reverse("portal:home")
    assert SESSION_KEY not in logged_in.session


def test_logout_with_provider_down_still_ends_cabinet_session(logged_in, provider):
    from django.core.cache import cache

    cache.clear()
    provider.offline = True
    response = logged_in.post(reverse("sso:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert SESSION_KEY not in logged_in.session


def test_anonymous_logout_just_goes_home(client, provider):
    response = client.post(reverse("sso:logout"))
    assert response["Location"] == reverse("portal:home")
    assert provider.log == []


# --- Idle and absolute timeouts --------------------------------------------------------------


def test_idle_session_expires_with_way_back_to_same_page(settings, provider, start_login, client):
    settings.SESSION_IDLE_MINUTES = 15
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(provider.approve(start_login()))
        Patient.objects.update(profile_completed_at=timezone.now())
        assert client.get("/about/?part=2").status_code == 200
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(ABOUT).status_code == 200  # activity moves the idle clock
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert client.get(ABOUT).status_code == 200
    with time_machine.travel(start + timedelta(minutes=44), tick=False):
        response = client.get("/about/?part=2")
        assert response.status_code == 401
        text = response.content.decode()
        assert "Сессия истекла" in text
        login_url = reverse("sso:login") + "?" + urlencode({"next": "/about/?part=2"})
        assert f'href="{login_url.replace("&", "&amp;")}"' in text
        assert SESSION_KEY not in client.session
        assert not ProviderGrant.objects.exists()
        event = AuditEvent.objects.get(action="cabinet.session_expired")
        assert event.details == {"reason": "idle"}
        # «Войти снова» → the provider → back on the same page.
        again = client.get(login_url)
        response = client.get(provider.approve(again["Location"]))
        assert response["Location"] == "/about/?part=2"
        assert client.get("/about/?part=2").status_code == 200


def test_expiry_on_post_links_to_plain_login(settings, logged_in):
    settings.SESSION_IDLE_MINUTES = 15
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        response = logged_in.post(reverse("sso:logout"))
    assert response.status_code == 401
    assert f'href="{reverse("sso:login")}"' in response.content.decode()


def test_absolute_lifetime_ends_an_active_session(settings, provider, start_login, client):
    settings.SESSION_IDLE_MINUTES = 15
    settings.SESSION_MAX_HOURS = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(provider.approve(start_login()))
    for minutes in range(10, 120, 10):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(ABOUT).status_code == 200, minutes
    with time_machine.travel(start + timedelta(minutes=121), tick=False):
        response = client.get(ABOUT)
    assert response.status_code == 401
    assert "Сессия истекла" in response.content.decode()
    assert AuditEvent.objects.get(action="cabinet.session_expired").details == {
        "reason": "absolute"
    }


def test_limited_mode_session_expires_too(settings, client, provider, start_login):
    settings.SESSION_IDLE_MINUTES = 15
    client.get(provider.deny(start_login()))
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        response = client.get(reverse("portal:home"))
    assert response.status_code == 401
    assert LIMITED_KEY not in client.session


def test_session_without_markers_starts_counting_now(settings, patient_client):
    """force_login (and any session made without the login view) keeps working."""
    settings.SESSION_IDLE_MINUTES = 15
    start = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(start, tick=False):
        assert patient_client.get(reverse("portal:home")).status_code == 200
        assert patient_client.session[STARTED_KEY] == start.isoformat()
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert patient_client.get(reverse("portal:home")).status_code == 401


def test_visitor_without_session_is_not_touched(client):
    assert client.get(ABOUT).status_code == 200
    assert IDLE_KEY not in client.session


# --- The grant check -------------------------------------------------------------------------


def test_withdrawn_grant_ends_session_at_next_request(logged_in, provider, grant_check):
    assert logged_in.get(ABOUT).status_code == 200
    provider.revoke()
    response = logged_in.get(ABOUT)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert SESSION_KEY not in logged_in.session
    assert not ProviderGrant.objects.exists()
    event = AuditEvent.objects.get(action="cabinet.session_ended_grant_revoked")
    assert event.actor_id == str(Patient.objects.get().user_id)
    home = logged_in.get(reverse("portal:home"))
    assert REVOKED_MESSAGE in home.content.decode()
    # The refresh token was tried once before giving up.
    assert provider.token_grant_types()[-1] == "refresh_token"


def test_grant_check_is_off_when_not_configured(logged_in, provider, settings):
    settings.OIDC_GRANT_CHECK_SECONDS = None
    provider.revoke()
    assert logged_in.get(ABOUT).status_code == 200
    assert provider.calls("/userinfo") == 1  # the login's own


def test_grant_check_is_a_fallback_every_five_minutes_by_default(tmp_path):
    """The back-channel logout ends sessions at once; UserInfo is not asked on every
    request any more."""
    result = import_cabinet_settings(
        tmp_path,
        code="from egisz.cabinet import settings; print(settings.OIDC_GRANT_CHECK_SECONDS)",
        EGISZ_DEMO="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "300"


def test_grant_check_runs_once_per_interval(logged_in, provider, settings):
    settings.OIDC_GRANT_CHECK_SECONDS = 60
    start = timezone.now()
    calls = provider.calls("/userinfo")
    with time_machine.travel(start + timedelta(seconds=10), tick=False):
        logged_in.get(ABOUT)
        logged_in.get(ABOUT)
    assert provider.calls("/userinfo") == calls  # checked at login, 10 s ago
    with time_machine.travel(start + timedelta(seconds=70), tick=False):
        logged_in.get(ABOUT)
        logged_in.get(ABOUT)
    assert provider.calls("/userinfo") == calls + 1
    provider.revoke()
    with time_machine.travel(start + timedelta(seconds=140), tick=False):
        assert logged_in.get(ABOUT).status_code == 302


def test_every_request_is_checked_with_zero(logged_in, provider, grant_check):
    calls = provider.calls("/userinfo")
    logged_in.get(ABOUT)
    logged_in.get(ABOUT)
    assert provider.calls("/userinfo") == calls + 2


def test_expired_access_token_is_refreshed_transparently(logged_in, provider, grant_check):
    grant = ProviderGrant.objects.get()
    old_access, old_refresh = grant.access_token, grant.refresh_token
    later = timezone.now() + timedelta(minutes=11)  # the access token lives 10 minutes
    with time_machine.travel(later, tick=False):
        response = logged_in.get(ABOUT)
        assert response.status_code == 200
        grant.refresh_from_db()
        assert grant.access_token != old_access
        assert grant.refresh_token != old_refresh  # rotated, and stored
        assert grant.access_expires_at > timezone.now()
        assert provider.token_grant_types()[-1] == "refresh_token"
        userinfo_calls = provider.calls("/userinfo")
        # The next request uses the new access token: UserInfo, no second refresh.
        assert logged_in.get(ABOUT).status_code == 200
        assert provider.calls("/userinfo") == userinfo_calls + 1
        assert provider.token_grant_types().count("refresh_token") == 1


def test_access_token_refused_early_is_refreshed(logged_in, provider, grant_check):
    provider.expire_access_tokens()  # the provider says no before our clock does
    assert logged_in.get(ABOUT).status_code == 200
    assert provider.token_grant_types()[-1] == "refresh_token"
    assert SESSION_KEY in logged_in.session


def test_concurrent_refresh_does_not_reuse_refresh_token(logged_in, provider, grant_check):
    """A second request that saw the old access token finds the row refreshed meanwhile
    and does not spend the (already rotated) refresh token again."""
    from egisz.cabinet.sso import services

    grant = ProviderGrant.objects.get()
    stale = ProviderGrant.objects.get(pk=grant.pk)
    assert services._refresh_grant(grant, now=timezone.now()) == services.GRANT_REFRESHED
    assert services._refresh_grant(stale, now=timezone.now()) == services.GRANT_REFRESHED
    assert provider.token_grant_types().count("refresh_token") == 1


def test_provider_down_does_not_end_session(logged_in, provider, grant_check, caplog):
    provider.offline = True
    with caplog.at_level("WARNING", logger="egisz.cabinet.sso.services"):
        assert logged_in.get(ABOUT).status_code == 200
    assert SESSION_KEY in logged_in.session
    assert "session goes on" in caplog.text
    provider.offline = False
    provider.revoke()
    assert logged_in.get(ABOUT).status_code == 302  # back online, the withdrawal counts


def test_provider_down_during_refresh_does_not_end_session(logged_in, provider, grant_check):
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        provider.offline = True
        assert logged_in.get(ABOUT).status_code == 200
        assert SESSION_KEY in logged_in.session


def test_exempt_paths_are_not_checked(logged_in, provider, grant_check):
    provider.revoke()
    logged_in.get("/healthz")
    logged_in.get("/i18n/setlang/")
    assert SESSION_KEY in logged_in.session
    assert provider.calls("/userinfo") == 1


def test_session_without_grant_is_not_checked(patient_client, provider, grant_check):
    """force_login sessions (the other tests, the operator console) have no grant."""
    assert patient_client.get(reverse("portal:home")).status_code == 200
    assert provider.log == []


def test_grant_of_another_user_is_never_used(logged_in, provider, grant_check, make_patient):
    other = make_patient()
    grant = ProviderGrant.objects.get()
    ProviderGrant.objects.filter(pk=grant.pk).update(user=other.user)
    response = logged_in.get(ABOUT)
    assert response.status_code == 302
    assert SESSION_KEY not in logged_in.session
    assert ProviderGrant.objects.filter(pk=grant.pk).exists()  # not theirs to delete


def test_stale_grants_are_purged(logged_in, settings):
    from egisz.cabinet.sso.services import purge_stale_grants

    assert purge_stale_grants() == 0
    later = timezone.now() + timedelta(hours=settings.SESSION_MAX_HOURS, minutes=6)
    with time_machine.travel(later, tick=False):
        assert purge_stale_grants() == 1
    assert not ProviderGrant.objects.exists()
