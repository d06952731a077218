"""«Войти через Госуслуги»: the login, the callback and every way a callback is refused."""

import json

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from egisz.cabinet.patients.models import Patient
from egisz.cabinet.portal.limited import LEVEL, REFUSED
from egisz.cabinet.portal.limited import SESSION_KEY as LIMITED_KEY
from egisz.cabinet.sso.models import ProviderGrant, ProviderSessionLink
from egisz.cabinet.sso.session import GRANT_KEY, LINK_KEY
from egisz.common.audit.models import AuditEvent
from tests.cabinet.sso.provider import STANDARD, query_of

pytestmark = pytest.mark.django_db

AUTH_ERROR = "Ошибка авторизации"


def failures() -> list[str]:
    return [
        event.details.get("reason")
        for event in AuditEvent.objects.filter(action="cabinet.login_failed").order_by("pk")
    ]


def assert_refused(response, reason_prefix: str):
    assert response.status_code == 400
    text = response.content.decode()
    assert AUTH_ERROR in text
    assert "Войти снова" in text
    assert reverse("sso:login") in text
    reasons = failures()
    assert reasons and reasons[-1].startswith(reason_prefix), reasons
    assert not Patient.objects.exists()
    assert not ProviderGrant.objects.exists()


def assert_nobody_logged_in(client):
    assert SESSION_KEY not in client.session
    assert GRANT_KEY not in client.session


# --- The way there ---------------------------------------------------------------------------


def test_login_sends_browser_to_provider_with_pkce_state_and_nonce(provider, start_login):
    url = start_login()
    query = query_of(url)
    assert query["response_type"] == "code"
    assert query["client_id"] == provider.client_id
    assert query["redirect_uri"] == "http://testserver/sso/callback/"
    assert query["scope"] == "openid fullname birthdate snils inn mobile email"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert "prompt" not in query


def test_each_login_gets_its_own_state_nonce_and_verifier(provider, start_login):
    first, second = query_of(start_login()), query_of(start_login())
    for name in ("state", "nonce", "code_challenge"):
        assert first[name] != second[name]


def test_discovery_is_cached(provider, start_login):
    start_login()
    start_login()
    assert provider.calls("/.well-known/openid-configuration") == 1


def test_consent_again_from_limited_mode_asks_provider_for_consent(client, provider):
    response = client.post("/sso/login/", {"consent": "1"})
    assert response.status_code == 302
    assert query_of(response["Location"])["prompt"] == "consent"


def test_login_when_provider_unreachable_says_so(client, provider):
    provider.offline = True
    response = client.get("/sso/login/")
    assert response.status_code == 503
    assert "Сервис Госуслуг недоступен, попробуйте позже" in response.content.decode()


def test_logged_in_patient_is_not_sent_around_again(patient_client, provider):
    response = patient_client.get("/sso/login/", {"next": "/about/"})
    assert response.status_code == 302
    assert response["Location"] == "/about/"


# --- First and later logins ------------------------------------------------------------------


def test_first_login_creates_patient_from_claims_and_opens_profile(
    client, provider, login_through_provider
):
    response = login_through_provider(next_url="/about/")
    assert response.status_code == 302
    assert response["Location"] == reverse("profile:complete")
    patient = Patient.objects.get()
    assert (patient.issuer, patient.subject) == (provider.url, provider.sub)
    assert (patient.last_name, patient.first_name, patient.middle_name) == (
        "Смирнова",
        "Анна",
        "Викторовна",
    )
    assert patient.birth_date.isoformat() == "1990-03-15"
    assert patient.snils == "11223344595"
    assert patient.phone == "+79161234567"
    assert patient.email == "anna@example.org"
    assert patient.level == "urn:egisz:loa:confirmed"
    session = client.session
    assert int(session[SESSION_KEY]) == patient.user.pk
    grant = ProviderGrant.objects.get(pk=session[GRANT_KEY])
    assert grant.user == patient.user and grant.subject == provider.sub
    assert grant.access_token and grant.refresh_token
    link = ProviderSessionLink.objects.get(pk=session[LINK_KEY])
    assert (link.issuer, link.subject, link.sid, link.grant) == (
        provider.url,
        provider.sub,
        "",  # the provider put no sid into the ID token
        grant,
    )
    assert LIMITED_KEY not in session
    # The client authenticated with client_secret_basic and proved PKCE.
    exchange = provider.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code"
    assert "client_secret" not in exchange and exchange["code_verifier"]


@pytest.mark.parametrize("verified", [False, None, "true", 1], ids=["false", "absent", "str", "1"])
def test_email_not_verified_at_provider_is_not_stored(
    client, provider, login_through_provider, verified
):
    if verified is None:
        provider.claims.pop("email_verified")
    else:
        provider.claims["email_verified"] = verified
    login_through_provider()
    patient = Patient.objects.get()
    assert patient.email == ""
    assert patient.phone == "+79161234567"  # the rest of the claims are taken as before
    # The profile asks for an address, confirmed by a code sent to it.
    assert (
        reverse("patients:edit_email") in client.get(reverse("profile:complete")).content.decode()
    )


def test_provider_session_id_is_kept_and_no_token_in_the_session(client, provider, start_login):
    client.get(provider.approve(start_login(), sid="idp-session-7"))
    session = client.session
    assert ProviderSessionLink.objects.get(pk=session[LINK_KEY]).sid == "idp-session-7"
    stored = json.dumps(dict(session.items()))
    assert "eyJ" not in stored  # no JWT (ID token or other) in the session


def test_tokens_are_encrypted_at_rest(client, provider, login_through_provider):
    login_through_provider()
    grant = ProviderGrant.objects.get()
    assert grant.access_token not in grant.access_token_encrypted
    assert grant.refresh_token not in grant.refresh_token_encrypted


def test_login_rotates_session_key(client, provider, start_login):
    url = start_login()
    before = client.session.session_key
    client.get(provider.approve(url))
    assert client.session.session_key != before


def test_second_login_lands_on_next(client, provider, login_through_provider):
    login_through_provider()
    Patient.objects.update(profile_completed_at=timezone.now())
    client.post("/sso/logout/")
    response = login_through_provider(next_url="/about/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/about/?tab=1"
    assert Patient.objects.count() == 1
    assert AuditEvent.objects.filter(action="cabinet.login").exists()


def test_second_login_without_next_lands_on_home(client, provider, login_through_provider):
    login_through_provider()
    Patient.objects.update(profile_completed_at=timezone.now())
    client.post("/sso/logout/")
    response = login_through_provider()
    assert response["Location"] == reverse("portal:home")


def test_incomplete_profile_opens_profile_even_with_next(client, provider, login_through_provider):
    login_through_provider()
    client.post("/sso/logout/")
    response = login_through_provider(next_url="/about/")
    assert response["Location"] == reverse("profile:complete")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "http://testserver/about/",
        "javascript:alert(1)",
        "/sso/logout/",
    ],
)
def test_next_outside_the_cabinet_is_ignored(client, provider, login_through_provider, target):
    login_through_provider()
    Patient.objects.update(profile_completed_at=timezone.now())
    client.post("/sso/logout/")
    response = login_through_provider(next_url=target)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_key_rotation_at_provider_is_followed(client, provider, login_through_provider):
    login_through_provider()
    client.post("/sso/logout/")
    provider.rotate_key()
    response = login_through_provider()
    assert response.status_code == 302
    assert provider.calls("/jwks") == 2  # the cached set, then once more for the new kid


def test_a_login_racing_another_ones_key_refetch_uses_the_fresh_set(
    client, provider, login_through_provider, monkeypatch
):
    # Two workers see a new kid at once: one fetches the new set and holds the cooldown;
    # the other, which read the stale set, must use the new one rather than fail.
    from egisz.cabinet.sso import client as oidc_client

    login_through_provider()  # the set with the old key is cached
    client.post("/sso/logout/")
    provider.rotate_key()
    jwks_key = oidc_client._cache_key("jwks", oidc_client.provider_metadata()["jwks_uri"])

    cooldown_key = oidc_client._cache_key("jwks-refetch", oidc_client.issuer())
    real_add = oidc_client.cache.add

    def other_worker_wins_the_refetch(key, value, timeout=None, **kwargs):
        if key != cooldown_key:  # sessions may live in the same cache
            return real_add(key, value, timeout, **kwargs)
        oidc_client.cache.set(jwks_key, {"keys": [provider.key.as_dict(private=False)]}, 3600)
        return False

    monkeypatch.setattr(oidc_client.cache, "add", other_worker_wins_the_refetch)
    response = login_through_provider()
    assert response.status_code == 302
    assert "Ошибка авторизации" not in response.content.decode()
    assert provider.calls("/jwks") == 1  # this worker did not ask the provider again


# --- Forged and replayed callbacks -----------------------------------------------------------


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("issuer", "id_token:invalid_claim:iss"),
        ("audience", "id_token:invalid_claim:aud"),
        ("azp", "id_token:invalid_claim:azp"),
        ("expired", "id_token:expired_token"),
        ("not_yet_valid", "id_token:invalid_claim"),
        ("nonce", "id_token:invalid_claim:nonce"),
        ("no_nonce", "id_token:missing_claim:nonce"),
        ("signature", "id_token:signature"),
        ("unknown_key", "id_token:unknown_key"),
        ("stranger_key_same_kid", "id_token:signature"),
        ("alg_none", "id_token:algorithm:none"),
    ],
)
def test_untrustworthy_id_token_is_refused(
    client, provider, login_through_provider, tamper, reason
):
    provider.tamper = tamper
    response = login_through_provider()
    assert_refused(response, reason)
    assert_nobody_logged_in(client)


def test_unknown_key_makes_one_jwks_refetch_only(client, provider, start_login):
    provider.tamper = "unknown_key"
    for _ in range(3):
        client.get(provider.approve(start_login()))
    assert provider.calls("/jwks") == 2


def test_callback_without_state_is_refused(client, provider, start_login):
    url = start_login()
    callback = provider.approve(url)
    code = query_of(callback)["code"]
    response = client.get("/sso/callback/", {"code": code})
    assert_refused(response, "state_missing")
    assert_nobody_logged_in(client)


def test_callback_with_wrong_state_is_refused(client, provider, start_login):
    url = start_login()
    code = query_of(provider.approve(url))["code"]
    response = client.get("/sso/callback/", {"code": code, "state": "forged-state"})
    assert_refused(response, "state_unknown")
    assert provider.token_requests == []  # the code never reached the token endpoint


def test_callback_from_another_browser_is_refused(client, provider, start_login):
    """Login CSRF: a callback started in the victim's browser, finished in another."""
    callback = provider.approve(start_login())
    stranger = Client()
    response = stranger.get(callback)
    assert_refused(response, "state_unknown")
    assert SESSION_KEY not in stranger.session


def test_replayed_callback_is_refused(client, provider, start_login):
    callback = provider.approve(start_login())
    assert client.get(callback).status_code == 302
    response = client.get(callback)
    assert response.status_code == 400
    assert AUTH_ERROR in response.content.decode()
    assert failures()[-1] == "state_unknown"


def test_replayed_callback_after_logout_logs_nobody_in(client, provider, start_login):
    callback = provider.approve(start_login())
    client.get(callback)
    client.post("/sso/logout/")
    response = client.get(callback)
    assert response.status_code == 400
    assert_nobody_logged_in(client)


def test_callback_with_expired_state_is_refused(client, provider, start_login):
    import time_machine

    url = start_login()
    callback = provider.approve(url)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=31), tick=False):
        response = client.get(callback)
    assert_refused(response, "state_expired")


def test_token_endpoint_error_is_refused(client, provider, login_through_provider):
    provider.token_error = "invalid_grant"
    assert_refused(login_through_provider(), "token_error:invalid_grant")
    assert_nobody_logged_in(client)


def test_wrong_client_secret_is_refused(client, provider, settings, login_through_provider):
    settings.OIDC_CLIENT_SECRET = "not-the-secret"
    assert_refused(login_through_provider(), "token_error:invalid_client")


def test_code_without_pkce_proof_is_refused(client, provider, start_login):
    """The provider checks the verifier against the challenge: a code issued for another
    authorization request (another challenge) does not redeem."""
    first = start_login()
    second = start_login()
    code = query_of(provider.approve(first))["code"]
    state = query_of(second)["state"]
    response = client.get("/sso/callback/", {"code": code, "state": state})
    assert_refused(response, "token_error:invalid_grant")


def test_callback_without_code_is_refused(client, provider, start_login):
    state = query_of(start_login())["state"]
    assert_refused(client.get("/sso/callback/", {"state": state}), "code_missing")


def test_other_provider_error_is_refused(client, provider, start_login):
    state = query_of(start_login())["state"]
    response = client.get("/sso/callback/", {"state": state, "error": "server_error"})
    assert_refused(response, "provider_error:server_error")


def test_userinfo_about_another_person_is_refused(client, provider, login_through_provider):
    provider.userinfo_sub = "somebody-else"
    assert_refused(login_through_provider(), "userinfo_subject")
    assert_nobody_logged_in(client)


@pytest.mark.parametrize("when", ["token", "userinfo"])
def test_provider_unreachable_during_callback(client, provider, start_login, monkeypatch, when):
    callback = provider.approve(start_login())
    if when == "token":
        provider.offline = True
    else:
        original = provider._token

        def token_then_offline(handler):
            original(handler)
            provider.offline = True

        monkeypatch.setattr(provider, "_token", token_then_offline)
    response = client.get(callback)
    assert response.status_code == 503
    assert "Сервис Госуслуг недоступен, попробуйте позже" in response.content.decode()
    assert failures()[-1] == "provider_unavailable"
    assert_nobody_logged_in(client)


def test_provider_server_error_at_token_endpoint_is_unavailable(
    client, provider, login_through_provider
):
    provider.token_error, provider.token_status = "boom", 500
    response = login_through_provider()
    assert response.status_code == 503


# --- Limited mode ----------------------------------------------------------------------------


def test_consent_refused_opens_limited_mode(client, provider, start_login):
    response = client.get(provider.deny(start_login()))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert client.session[LIMITED_KEY]["reason"] == REFUSED
    assert_nobody_logged_in(client)
    assert AuditEvent.objects.filter(action="cabinet.login_consent_refused").exists()
    home = client.get(reverse("portal:home")).content.decode()
    assert "Вы не дали согласие на передачу данных из Госуслуг." in home
    assert "Дать согласие на передачу данных" in home
    assert not Patient.objects.exists()


def test_refused_consent_with_forged_state_is_refused(client, provider, start_login):
    start_login()
    response = client.get("/sso/callback/", {"error": "access_denied", "state": "forged"})
    assert response.status_code == 400
    assert LIMITED_KEY not in client.session


def test_standard_account_gets_limited_mode_and_no_patient(
    client, provider, login_through_provider
):
    provider.acr = STANDARD
    response = login_through_provider()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    session = client.session
    assert session[LIMITED_KEY] == {"reason": LEVEL, "level": STANDARD}
    link = ProviderSessionLink.objects.get(pk=session[LINK_KEY])
    assert (link.subject, link.grant) == (provider.sub, None)
    assert_nobody_logged_in(client)
    assert not Patient.objects.exists()
    assert not ProviderGrant.objects.exists()
    assert provider.calls("/userinfo") == 0  # no personal data was even asked for
    home = client.get(reverse("portal:home")).content.decode()
    assert "стандартная" in home
    assert "Как подтвердить учётную запись" in home
    assert AuditEvent.objects.get(action="cabinet.login_limited").details == {"level": STANDARD}


def test_unknown_level_is_limited_too(client, provider, login_through_provider):
    provider.acr = "urn:other:loa:high"
    login_through_provider()
    assert client.session[LIMITED_KEY]["reason"] == LEVEL
    assert not Patient.objects.exists()


def test_lower_requirement_is_configurable(client, provider, settings, login_through_provider):
    settings.OIDC_REQUIRED_ACR = STANDARD
    provider.acr = STANDARD
    assert login_through_provider()["Location"] == reverse("profile:complete")
    assert Patient.objects.get().level == STANDARD


def test_full_login_after_limited_mode_leaves_it(client, provider, start_login):
    client.get(provider.deny(start_login()))
    response = client.get(provider.approve(start_login()))
    assert response["Location"] == reverse("profile:complete")
    assert LIMITED_KEY not in client.session
    assert SESSION_KEY in client.session


def test_limited_login_over_a_full_session_logs_out(client, provider, start_login):
    """Two logins started (two tabs); the second comes back with a lower level."""
    first, second = start_login(), start_login()
    client.get(provider.approve(first))
    assert SESSION_KEY in client.session
    provider.acr = STANDARD
    client.get(provider.approve(second))
    assert_nobody_logged_in(client)
    assert client.session[LIMITED_KEY]["reason"] == LEVEL
    assert not ProviderGrant.objects.exists()


def test_activity_labels_are_registered():
    from egisz.cabinet.patients.activity import activity_label

    assert str(activity_label("cabinet.logout")) == "Выход из кабинета"
    assert "отозван" in str(activity_label("cabinet.session_ended_grant_revoked"))
