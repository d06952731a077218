"""The authorization endpoint: request checks, login, prompt/max_age, acr_values, consent."""

import base64
import datetime
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import Grant

from egisz.common.audit.models import AuditEvent
from egisz.idp.accounts.models import Level
from egisz.idp.oidc.models import Consent
from egisz.idp.oidc.services import create_client
from tests.idp.helpers_login import browser as another_browser
from tests.idp.helpers_login import latest_code, latest_message, log_in

pytestmark = pytest.mark.django_db

REDIRECT_URI = "https://rp.example/callback"
START = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
ACR = {
    "simplified": "urn:egisz:loa:simplified",
    "standard": "urn:egisz:loa:standard",
    "confirmed": "urn:egisz:loa:confirmed",
}


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@pytest.fixture(autouse=True)
def _quick_codes(settings):
    # Several logins to one account within a minute in one test.
    settings.OTP_RESEND_SECONDS = 0
    settings.OTP_MAX_PER_HOUR = 100


@pytest.fixture
def rp():
    return create_client(
        name="Запись к врачу",
        redirect_uris=[REDIRECT_URI],
        scopes=["openid", "fullname", "birthdate", "snils", "mobile"],
        description="Онлайн-запись на приём в поликлинику",
    )


@pytest.fixture
def public_rp():
    return create_client(
        name="Мобильное приложение",
        redirect_uris=["https://app.example/cb"],
        scopes=["openid", "fullname"],
        public=True,
    )


@pytest.fixture
def citizen(make_account):
    return make_account(level=Level.STANDARD, snils="11223344595")


def authorize_url(rp, **overrides) -> str:
    params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid fullname birthdate",
        "state": "st-" + secrets.token_urlsafe(6),
    }
    params.update(overrides)
    params = {key: value for key, value in params.items() if value is not None}
    return "/oidc/authorize/?" + urlencode(params)


def redirect_params(response, base: str = REDIRECT_URI) -> dict:
    """The parameters of a redirect to the client (asserting it goes there)."""
    assert response.status_code == 302, response.content.decode()[:500]
    location = response["Location"]
    assert location.startswith(base + "?"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def log_in_through(client: Client, login_redirect, account, password):
    """Follow a redirect to the login page as a person does: the form (with its hidden
    next), then the SMS code. Returns the response of the code step."""
    location = login_redirect["Location"]
    assert location.startswith("/login/?"), location
    page = client.get(location)
    assert page.status_code == 200
    next_url = parse_qs(urlsplit(location).query)["next"][0]
    response = client.post(
        "/login/", {"identifier": account.phone, "password": password, "next": next_url}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    # The newest SMS to the phone: the login code, worded in the language of the page.
    code = latest_code(account.phone, "")
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 302
    assert response["Location"] == next_url
    return response


def agree(client: Client, url: str, **extra):
    return client.post(url, {"agree": "on", "decision": "confirm", **extra})


@pytest.fixture
def logged_in(client, citizen, password):
    log_in(client, citizen, password)
    return client


def consented(client, rp, scope="openid fullname birthdate"):
    url = authorize_url(rp, scope=scope)
    assert client.get(url).status_code == 200
    redirect_params(agree(client, url))


# --- the client and its redirect URI come first, and are never redirected to if wrong ------


def assert_error_page(response):
    assert response.status_code == 400
    assert not response.has_header("Location")
    text = response.content.decode()
    assert "Ошибка авторизации" in text and "неверный запрос" in text


def test_unknown_client_shows_an_error_page(client, rp):
    assert_error_page(client.get(authorize_url(rp, client_id="no-such-client")))
    assert_error_page(client.get(authorize_url(rp, client_id=None)))


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "https://rp.example/callback/../evil",
        "https://rp.example/callback/",
        "https://rp.example/callbackevil",
        "https://rp.example/callback?next=https://evil.example",
        "https://rp.example/callback?",
        "https://rp.example:8443/callback",
        "http://rp.example/callback",
        "https://rp.example.evil.example/callback",
        "https://user@rp.example/callback",
        "https://rp.example/callback#x",
        "https://RP.example/callback",
        "",
        None,
    ],
)
def test_a_redirect_uri_not_registered_exactly_is_never_redirected_to(
    client, rp, redirect_uri, citizen, password
):
    log_in(client, citizen, password)
    assert_error_page(client.get(authorize_url(rp, redirect_uri=redirect_uri)))
    assert_error_page(client.get(authorize_url(rp, redirect_uri=redirect_uri, prompt="none")))


def test_a_loopback_redirect_uri_must_match_its_port_too(client):
    cabinet = create_client(
        name="Кабинет", redirect_uris=["http://127.0.0.1:8001/sso/callback"], scopes=["openid"]
    )
    url = "/oidc/authorize/?" + urlencode(
        {
            "response_type": "code",
            "client_id": cabinet.client_id,
            "redirect_uri": "http://127.0.0.1:9999/sso/callback",
            "scope": "openid",
        }
    )
    assert_error_page(client.get(url))


def test_a_repeated_redirect_uri_or_client_id_is_an_error_page(client, rp):
    url = authorize_url(rp) + "&" + urlencode({"redirect_uri": "https://evil.example/"})
    assert_error_page(client.get(url))
    url = authorize_url(rp) + "&" + urlencode({"client_id": rp.client_id})
    assert_error_page(client.get(url))


def test_the_error_page_is_checked_before_the_login(client, rp):
    response = client.get(authorize_url(rp, redirect_uri="https://evil.example/cb"))
    assert_error_page(response)


# --- errors the client receives at its redirect URI, with state ----------------------------


@pytest.mark.parametrize(
    "response_type", ["token", "id_token", "id_token token", "code id_token", "code token", "none"]
)
def test_only_the_code_flow_is_supported(client, rp, response_type):
    url = authorize_url(rp, response_type=response_type)
    params = redirect_params(client.get(url))
    assert params["error"] == "unsupported_response_type"
    assert params["state"] == state_of(url)
    assert "code" not in params


def test_a_missing_response_type_is_invalid_request(client, rp):
    url = authorize_url(rp, response_type=None)
    params = redirect_params(client.get(url))
    assert params["error"] == "invalid_request" and params["state"] == state_of(url)


def test_request_objects_are_refused_as_unsupported(client, rp):
    url = authorize_url(rp, request="eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
    params = redirect_params(client.get(url))
    assert params["error"] == "request_not_supported" and params["state"] == state_of(url)
    url = authorize_url(rp, request_uri="https://rp.example/request.jwt")
    params = redirect_params(client.get(url))
    assert params["error"] == "request_uri_not_supported" and params["state"] == state_of(url)


def test_scopes_beyond_the_clients_allowed_ones_are_invalid_scope(client, rp):
    for scope in ("openid inn", "openid no-such-scope", "fullname"):
        url = authorize_url(rp, scope=scope)
        params = redirect_params(client.get(url))
        assert params["error"] == "invalid_scope" and params["state"] == state_of(url)


def test_a_public_client_must_use_pkce_with_s256(client, public_rp):
    base = {"redirect_uri": "https://app.example/cb", "scope": "openid fullname"}
    verifier = secrets.token_urlsafe(48)
    cases = [
        {},
        {"code_challenge": verifier},  # method defaults to plain
        {"code_challenge": verifier, "code_challenge_method": "plain"},
        {"code_challenge": "short", "code_challenge_method": "S256"},
        {"code_challenge": s256(verifier), "code_challenge_method": "S512"},
    ]
    for pkce in cases:
        url = authorize_url(public_rp, **base, **pkce)
        params = redirect_params(client.get(url), "https://app.example/cb")
        assert params["error"] == "invalid_request", pkce
        assert params["state"] == state_of(url)
    url = authorize_url(
        public_rp, **base, code_challenge=s256(verifier), code_challenge_method="S256"
    )
    assert client.get(url)["Location"].startswith("/login/?")


def test_a_confidential_client_may_use_pkce_but_not_plain(logged_in, rp):
    url = authorize_url(rp, code_challenge="a" * 43, code_challenge_method="plain")
    assert redirect_params(logged_in.get(url))["error"] == "invalid_request"
    assert logged_in.get(authorize_url(rp)).status_code == 200  # without PKCE: consent page


@pytest.mark.parametrize(
    "claims",
    ["{not json", "[1, 2]", "42", '"text"', '{"userinfo": []}', '{"id_token": {"acr": 1}}'],
)
def test_a_malformed_claims_parameter_is_invalid_request(client, rp, claims):
    url = authorize_url(rp, claims=claims)
    params = redirect_params(client.get(url))
    assert params["error"] == "invalid_request" and params["state"] == state_of(url)


def test_malformed_max_age_and_prompt_are_invalid_request(client, rp):
    for extra in ({"max_age": "-1"}, {"max_age": "soon"}, {"prompt": "none login"}):
        url = authorize_url(rp, **extra)
        params = redirect_params(client.get(url))
        assert params["error"] == "invalid_request", extra
        assert params["state"] == state_of(url)


def test_unknown_parameters_are_ignored(logged_in, rp):
    url = authorize_url(rp, foo="bar", display="touch", vendor_x="1")
    assert logged_in.get(url).status_code == 200


# --- login ------------------------------------------------------------------------------


def test_someone_not_logged_in_is_sent_to_log_in_and_comes_back(client, rp, citizen, password):
    url = authorize_url(rp)
    response = client.get(url)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/login/?")
    assert parse_qs(urlsplit(location).query)["next"] == [url]
    back = log_in_through(client, response, citizen, password)
    page = client.get(back["Location"])
    assert page.status_code == 200 and "Запись к врачу" in page.content.decode()


def test_login_hint_prefills_the_identifier(client, rp, citizen):
    response = client.get(authorize_url(rp, login_hint=citizen.phone))
    location = response["Location"]
    assert parse_qs(urlsplit(location).query)["login_hint"] == [citizen.phone]
    page = client.get(location).content.decode()
    assert f'value="{citizen.phone}"' in page


def test_ui_locales_en_gives_english_login_and_consent_pages(client, rp, citizen, password):
    url = authorize_url(rp, ui_locales="fr-CA en-GB ru")
    response = client.get(url)
    assert response.cookies["egisz_idp_language"].value == "en"
    back = log_in_through(client, response, citizen, password)
    page = client.get(back["Location"]).content.decode()
    assert '<html lang="en">' in page
    assert ">Confirm</button>" in page
    # And ui_locales=ru gives Russian again.
    page = client.get(authorize_url(rp, ui_locales="ru")).content.decode()
    assert '<html lang="ru">' in page and ">Подтвердить</button>" in page


# --- prompt and max_age ---------------------------------------------------------------------


def test_prompt_none_when_logged_out_is_login_required(client, rp):
    url = authorize_url(rp, prompt="none")
    params = redirect_params(client.get(url))
    assert params["error"] == "login_required" and params["state"] == state_of(url)
    assert "code" not in params


def test_prompt_none_without_consent_is_consent_required_and_with_it_a_code(logged_in, rp):
    url = authorize_url(rp, prompt="none")
    params = redirect_params(logged_in.get(url))
    assert params["error"] == "consent_required" and params["state"] == state_of(url)
    consented(logged_in, rp)
    url = authorize_url(rp, prompt="none", nonce="n-0S6_WzA2Mj")
    params = redirect_params(logged_in.get(url))
    assert params["code"] and params["state"] == state_of(url)
    assert Grant.objects.get(code=params["code"]).nonce == "n-0S6_WzA2Mj"


def test_consent_covering_the_scopes_issues_the_code_without_a_page(logged_in, rp):
    consented(logged_in, rp)
    url = authorize_url(rp, scope="openid fullname")
    params = redirect_params(logged_in.get(url))
    assert params["code"] and params["state"] == state_of(url)


def test_prompt_login_asks_for_a_fresh_login_once(client, rp, citizen, password):
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, citizen, password)
        consented(client, rp)
        clock.shift(datetime.timedelta(minutes=3))
        url = authorize_url(rp, prompt="login")
        response = client.get(url)
        location = response["Location"]
        assert location.startswith("/login/?")
        query = parse_qs(urlsplit(location).query)
        assert query["prompt"] == ["login"]
        assert "prompt=login" not in query["next"][0]
        # The login form is shown although a session exists.
        assert "Вход" in client.get(location).content.decode()
        clock.shift(datetime.timedelta(seconds=20))
        back = log_in_through(client, response, citizen, password)
        assert "prompt" not in parse_qs(urlsplit(back["Location"]).query)
        # Even with prompt=login still in it, this request is not sent to log in again...
        params = redirect_params(client.get(url))
        assert params["code"] and params["state"] == state_of(url)
        # ...but once answered, the same request asks for a fresh login anew.
        assert client.get(url)["Location"].startswith("/login/?")


def test_prompt_none_with_an_exceeded_max_age_is_login_required(client, rp, citizen, password):
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, citizen, password)
        consented(client, rp)
        clock.shift(datetime.timedelta(seconds=5))
        url = authorize_url(rp, prompt="none", max_age="1")
        assert redirect_params(client.get(url))["error"] == "login_required"
        assert redirect_params(client.get(authorize_url(rp, prompt="none", max_age="60")))["code"]


def test_max_age_1_with_an_older_login_forces_a_fresh_login(client, rp, citizen, password):
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, citizen, password)
        consented(client, rp)
        clock.shift(datetime.timedelta(seconds=30))
        url = authorize_url(rp, max_age="1")
        response = client.get(url)
        assert parse_qs(urlsplit(response["Location"]).query)["prompt"] == ["login"]
        clock.shift(datetime.timedelta(seconds=10))
        back = log_in_through(client, response, citizen, password)
        # However long the way back takes, the fresh login is not asked for again.
        clock.shift(datetime.timedelta(seconds=5))
        params = redirect_params(client.get(back["Location"]))
        assert params["code"] and params["state"] == state_of(url)


def test_max_age_does_not_expire_while_the_consent_page_is_read(client, rp, citizen, password):
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, citizen, password)
        url = authorize_url(rp, max_age="60")
        assert client.get(url).status_code == 200
        clock.shift(datetime.timedelta(seconds=90))
        params = redirect_params(agree(client, url))
        assert params["code"]


def test_prompt_consent_shows_the_consent_page_again(logged_in, rp):
    consented(logged_in, rp)
    page = logged_in.get(authorize_url(rp, prompt="consent"))
    assert page.status_code == 200
    assert "Я согласен на передачу моих данных сервису" in page.content.decode()


# --- acr_values -----------------------------------------------------------------------------


def test_a_citizen_below_the_level_asked_for_is_told_how_to_raise_it(
    client, rp, make_account, password
):
    simple = make_account(level=Level.SIMPLIFIED)
    log_in(client, simple, password)
    url = authorize_url(rp, acr_values=f"{ACR['confirmed']} {ACR['standard']}")
    response = client.get(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert "нужна стандартная учётная запись или выше" in page
    assert "Ваша учётная запись — упрощённая." in page
    assert "проверки в государственном реестре" in page
    assert "Подтвердите личность" not in page  # standard was enough among those asked
    assert "Вернуться в сервис" in page
    assert not Grant.objects.exists()
    back = next(line for line in page.split('"') if line.startswith(REDIRECT_URI))
    back = back.replace("&amp;", "&")
    query = parse_qs(urlsplit(back).query)
    assert query["error"] == ["access_denied"] and query["state"] == [state_of(url)]


def test_a_confirmed_level_asks_for_a_service_centre_or_video(logged_in, rp):
    page = logged_in.get(authorize_url(rp, acr_values=ACR["confirmed"])).content.decode()
    assert "центр обслуживания" in page and "видеоверификацию" in page
    assert "Получите стандартную учётную запись" not in page  # the citizen has it


def test_acr_values_met_lead_on_and_unknown_ones_are_ignored(logged_in, rp):
    assert logged_in.get(authorize_url(rp, acr_values=ACR["standard"])).status_code == 200
    assert logged_in.get(authorize_url(rp, acr_values="urn:other:loa:3")).status_code == 200
    claims = json.dumps({"id_token": {"acr": {"essential": True, "values": [ACR["confirmed"]]}}})
    assert logged_in.get(authorize_url(rp, claims=claims)).status_code == 403


def test_prompt_none_below_the_level_is_interaction_required(logged_in, rp):
    consented(logged_in, rp)
    url = authorize_url(rp, prompt="none", acr_values=ACR["confirmed"])
    params = redirect_params(logged_in.get(url))
    assert params["error"] == "interaction_required" and params["state"] == state_of(url)


# --- consent ---------------------------------------------------------------------------------


def test_the_consent_page_names_the_service_and_each_piece_of_data_in_russian(logged_in, rp):
    page = logged_in.get(authorize_url(rp, scope="openid fullname birthdate snils mobile"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Подтверждение согласия на передачу данных" in text
    assert "Запись к врачу" in text and "Онлайн-запись на приём в поликлинику" in text
    for line in ("Фамилия, имя и отчество", "Дата рождения", "СНИЛС", "Мобильный телефон"):
        assert f"<li>{line}</li>" in text
    assert "Вход с учётной записью Госуслуг" not in text  # openid is not «data»
    assert '<label for="id_agree">Я согласен на передачу моих данных сервису</label>' in text
    assert ">Подтвердить</button>" in text and ">Отказаться</button>" in text
    # The consent form's redirect to the client is allowed by the page's CSP.
    assert "form-action 'self' https://rp.example" in page["Content-Security-Policy"]
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]


def test_the_service_name_and_description_are_escaped(logged_in):
    evil = create_client(
        name="<script>alert(1)</script>",
        redirect_uris=[REDIRECT_URI],
        scopes=["openid"],
        description='<img src=x onerror="alert(2)">',
    )
    text = logged_in.get(authorize_url(evil, scope="openid")).content.decode()
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert "<img src=x" not in text


def test_submitting_without_the_tick_shows_the_error_next_to_it_and_in_the_summary(logged_in, rp):
    url = authorize_url(rp)
    response = logged_in.post(url, {"decision": "confirm"})
    assert response.status_code == 400
    text = response.content.decode()
    message = "Поставьте отметку о согласии, чтобы продолжить, или нажмите «Отказаться»."
    assert text.count(message) == 2
    assert 'class="error-summary"' in text and 'href="#id_agree"' in text
    assert not Consent.objects.exists() and not Grant.objects.exists()


def test_refusing_returns_access_denied_with_state_and_is_journaled(logged_in, rp, citizen):
    url = authorize_url(rp)
    params = redirect_params(logged_in.post(url, {"decision": "refuse"}))
    assert params["error"] == "access_denied" and params["state"] == state_of(url)
    assert "code" not in params
    assert not Consent.objects.exists()
    event = AuditEvent.objects.get(action="oidc.consent_refused")
    assert event.subject_id == str(citizen.pk)
    assert event.details["client_id"] == rp.client_id


def test_agreeing_stores_and_journals_the_consent_and_issues_the_code(logged_in, rp, citizen):
    verifier = secrets.token_urlsafe(48)
    url = authorize_url(
        rp, code_challenge=s256(verifier), code_challenge_method="S256", nonce="abc-123"
    )
    assert logged_in.get(url).status_code == 200
    params = redirect_params(agree(logged_in, url))
    assert params["code"] and params["state"] == state_of(url)
    grant = Grant.objects.get(code=params["code"])
    assert grant.user == citizen and grant.application == rp.application
    assert grant.code_challenge == s256(verifier) and grant.code_challenge_method == "S256"
    assert grant.nonce == "abc-123" and grant.redirect_uri == REDIRECT_URI
    assert set(grant.scope.split()) == {"openid", "fullname", "birthdate"}
    consent = Consent.objects.get()
    assert (consent.account, consent.application) == (citizen, rp.application)
    assert consent.scope_set == {"openid", "fullname", "birthdate"}
    assert consent.given_via == "screen" and consent.withdrawn_at is None
    event = AuditEvent.objects.get(action="oidc.consent_given")
    assert event.details["scopes"] == ["openid", "fullname", "birthdate"]
    assert event.details["client_id"] == rp.client_id


def test_the_claims_request_is_kept_with_the_code(logged_in, rp):
    claims = {"userinfo": {"given_name": {"essential": True}}, "id_token": {"auth_time": None}}
    url = authorize_url(rp, claims=json.dumps(claims))
    params = redirect_params(agree(logged_in, url))
    assert json.loads(Grant.objects.get(code=params["code"]).claims) == claims


def test_asking_for_more_data_later_asks_for_consent_again(logged_in, rp):
    consented(logged_in, rp, scope="openid fullname")
    url = authorize_url(rp, scope="openid fullname snils")
    page = logged_in.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Сервис просит больше данных" in text
    assert '<li>СНИЛС <span class="badge">новое</span></li>' in text
    assert "<li>Фамилия, имя и отчество</li>" in text
    redirect_params(agree(logged_in, url))
    # The latest consent covers both: asking for either again needs no page.
    assert Consent.objects.order_by("-pk").first().scope_set == {"openid", "fullname", "snils"}
    assert redirect_params(logged_in.get(authorize_url(rp, scope="openid snils")))["code"]


def test_consent_to_one_client_does_not_count_for_another(logged_in, rp):
    consented(logged_in, rp)
    other = create_client(name="Другой сервис", redirect_uris=[REDIRECT_URI], scopes=["openid"])
    assert logged_in.get(authorize_url(other, scope="openid")).status_code == 200


def test_the_consent_post_needs_the_csrf_token(rp, citizen, password):
    browser = Client(enforce_csrf_checks=True)
    log_in_with_csrf(browser, citizen, password)
    url = authorize_url(rp)
    page = browser.get(url)
    assert page.status_code == 200
    response = browser.post(url, {"agree": "on", "decision": "confirm"})
    assert response.status_code == 403
    assert not Consent.objects.exists() and not Grant.objects.exists()
    token = page.context["csrf_token"]
    response = browser.post(
        url, {"agree": "on", "decision": "confirm", "csrfmiddlewaretoken": str(token)}
    )
    assert redirect_params(response)["code"]


def log_in_with_csrf(browser: Client, account, password):
    page = browser.get("/login/")
    token = str(page.context["csrf_token"])
    browser.post(
        "/login/",
        {"identifier": account.phone, "password": password, "csrfmiddlewaretoken": token},
    )
    page = browser.get("/login/code/")
    token = str(page.context["csrf_token"])
    code = latest_code(account.phone, "Код для входа")
    response = browser.post("/login/code/", {"code": code, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_a_consent_post_from_a_logged_out_browser_goes_to_the_login(client, rp):
    url = authorize_url(rp)
    response = client.post(url, {"agree": "on", "decision": "confirm"})
    assert response["Location"].startswith("/login/?")
    assert not Consent.objects.exists()


# --- RFC 9207: every answer at the redirect URI names the issuer -------------------------------


def published_issuer(client) -> str:
    return client.get("/.well-known/openid-configuration").json()["issuer"]


def issuer_in(url: str) -> str:
    values = parse_qs(urlsplit(url).query)["iss"]
    assert len(values) == 1, url
    return values[0]


def test_the_code_names_the_issuer(logged_in, rp):
    url = authorize_url(rp)
    assert logged_in.get(url).status_code == 200
    response = agree(logged_in, url)
    assert redirect_params(response)["code"]
    assert issuer_in(response["Location"]) == published_issuer(logged_in)
    # And a code given without a page (consent already there).
    response = logged_in.get(authorize_url(rp, prompt="none"))
    assert redirect_params(response)["code"]
    assert issuer_in(response["Location"]) == published_issuer(logged_in)


def test_every_error_at_the_redirect_uri_names_the_issuer(logged_in, rp, make_account, password):
    issuer = published_issuer(logged_in)
    stranger = another_browser()
    answers = [
        stranger.get(authorize_url(rp, response_type="token")),  # unsupported_response_type
        stranger.get(authorize_url(rp, scope="openid inn")),  # invalid_scope
        stranger.get(authorize_url(rp, prompt="none")),  # login_required
        logged_in.get(authorize_url(rp, prompt="none")),  # consent_required
        logged_in.post(authorize_url(rp), {"decision": "refuse"}),  # access_denied
    ]
    for response in answers:
        assert redirect_params(response)["error"]
        assert issuer_in(response["Location"]) == issuer
    # The link back from the page saying the account level is too low.
    simple = another_browser()
    log_in(simple, make_account(level=Level.SIMPLIFIED), password)
    page = simple.get(authorize_url(rp, acr_values=ACR["standard"])).content.decode()
    back = next(part for part in page.split('"') if part.startswith(REDIRECT_URI))
    assert issuer_in(back.replace("&amp;", "&")) == issuer


# --- a relying party may POST the request (OpenID Connect Core 3.1.2.1) ------------------------


def authorize_form(rp, **overrides) -> dict:
    """The parameters of authorize_url, as a relying party's auto-submitted form sends them."""
    query = urlsplit(authorize_url(rp, **overrides)).query
    return {name: values[0] for name, values in parse_qs(query).items()}


def test_a_posted_authorization_request_is_answered_as_the_get(rp, citizen, password):
    visitor = Client(enforce_csrf_checks=True)  # a real browser's CSRF rules
    form = authorize_form(rp)
    response = visitor.post("/oidc/authorize/", form)
    # Not «Форма устарела» (403): the same request as a GET (303, so the browser sends the
    # session cookie, SameSite=Lax, with it).
    assert response.status_code == 303
    location = response["Location"]
    assert urlsplit(location).path == "/oidc/authorize/"
    assert {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()} == form
    assert visitor.get(location)["Location"].startswith("/login/?")

    log_in_with_csrf(visitor, citizen, password)
    page = visitor.get(visitor.post("/oidc/authorize/", form)["Location"])
    assert page.status_code == 200 and "Запись к врачу" in page.content.decode()
    token = str(page.context["csrf_token"])
    answer = visitor.post(
        location, {"agree": "on", "decision": "confirm", "csrfmiddlewaretoken": token}
    )
    params = redirect_params(answer)
    assert params["code"] and params["state"] == form["state"]

    # Consent given: a posted prompt=none request comes back with a code.
    silent = authorize_form(rp, prompt="none")
    response = visitor.get(visitor.post("/oidc/authorize/", silent)["Location"])
    assert redirect_params(response)["code"]


def test_a_posted_request_cannot_carry_the_consent_answer(logged_in, rp):
    # The consent form's answer is a POST to the request's own URL, with the CSRF token;
    # fields of a form posted to the bare endpoint are only request parameters.
    form = {**authorize_form(rp), "agree": "on", "decision": "confirm"}
    response = logged_in.post("/oidc/authorize/", form)
    assert response.status_code == 303
    page = logged_in.get(response["Location"])
    assert page.status_code == 200  # the consent page, not a code
    assert not Consent.objects.exists() and not Grant.objects.exists()


def test_an_oversized_posted_request_is_an_error_page(client, rp):
    response = client.post("/oidc/authorize/", {**authorize_form(rp), "nonce": "n" * 9000})
    assert_error_page(response)


# --- garbage never causes a 500 ----------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"state": "x" * 5000},
        {"nonce": "n" * 300},
        {"claims": "[" * 3000},
        {"claims": '{"userinfo": ' * 400},
        {"max_age": "9" * 40},
        {"prompt": "\x00"},
        {"state": "\x00"},
        {"scope": "openid \x00"},
        {"code_challenge": "é" * 50, "code_challenge_method": "S256"},
        {"acr_values": "x" * 2000},
        {"ui_locales": "zz-" * 500},
        {"login_hint": "+7" + "9" * 1000},
        {"id_token_hint": "not.a.jwt"},
        {"id_token_hint": "eyJhbGciOiJub25lIn0." * 50},
        {"response_mode": "form_post"},
        {"scope": "openid " * 1000},
    ],
)
def test_garbage_parameters_never_cause_a_server_error(logged_in, rp, extra):
    for prompt in (None, "none"):
        url = authorize_url(rp, **{"prompt": prompt, **extra})
        response = logged_in.get(url)
        assert response.status_code in (200, 302, 400, 403), response.status_code
        if response.status_code == 302:
            assert response["Location"].startswith((REDIRECT_URI, "/login/"))


@pytest.mark.parametrize(
    "query",
    [
        "client_id=%ZZ&redirect_uri=%",
        "%00=%00",
        "client_id=" + "a" * 10000,
        "client_id=\x00",
        "response_type=code&client_id=x&redirect_uri=https%3A%2F%2Frp.example%2Fcallback",
    ],
)
def test_garbage_queries_show_the_error_page(logged_in, query):
    assert_error_page(logged_in.get("/oidc/authorize/?" + query))


def test_broken_percent_encoding_after_a_good_client_is_invalid_request(logged_in, rp):
    url = authorize_url(rp) + "&x=%ZZ"
    params = redirect_params(logged_in.get(url))
    assert params["error"] == "invalid_request"


def test_the_url_name_is_oidc_authorize():
    assert reverse("oidc:authorize") == "/oidc/authorize/"


# --- back to the client after one of our own forms ---------------------------------------------


def test_after_our_own_login_form_the_way_back_goes_through_a_page(logged_in, rp):
    """Browsers apply the login form's CSP form-action to the redirects after it, so a
    302 to the client would be blocked: a page sends the browser on instead."""
    consented(logged_in, rp)
    url = authorize_url(rp)
    response = logged_in.get(url, HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 200
    refresh = response["Refresh"]
    assert refresh.startswith(f"0;url={REDIRECT_URI}?")
    query = parse_qs(urlsplit(refresh.removeprefix("0;url=")).query)
    assert query["code"] and query["state"] == [state_of(url)]
    text = response.content.decode()
    assert "Возвращаемся в сервис «Запись к врачу»" in text and ">Продолжить</a>" in text
    # Errors too; and without such a form before (the client's own link) a plain redirect.
    response = logged_in.get(
        authorize_url(rp, scope="openid inn"), HTTP_REFERER="http://testserver/login/code/"
    )
    assert response.status_code == 200 and "error=invalid_scope" in response["Refresh"]
    assert logged_in.get(url, HTTP_SEC_FETCH_SITE="cross-site").status_code == 302
    assert logged_in.get(url, HTTP_REFERER="https://rp.example/").status_code == 302


def _id_token_for(account, rp) -> str:
    from django.test import Client as HttpClient

    from tests.idp.oidc.flow import tokens_for

    return tokens_for(HttpClient(), rp, account)["id_token"]


def test_an_id_token_hint_for_the_logged_in_citizen_lets_prompt_none_through(
    logged_in, rp, citizen
):
    consented(logged_in, rp)
    hint = _id_token_for(citizen, rp)
    params = redirect_params(logged_in.get(authorize_url(rp, prompt="none", id_token_hint=hint)))
    assert "code" in params


def test_an_id_token_hint_for_someone_else_is_login_required(logged_in, rp, make_account):
    consented(logged_in, rp)
    hint = _id_token_for(make_account(), rp)
    params = redirect_params(logged_in.get(authorize_url(rp, prompt="none", id_token_hint=hint)))
    assert params["error"] == "login_required" and "code" not in params


def test_the_login_sms_is_in_the_language_of_the_login_page(client, rp, citizen, password):
    response = client.get(authorize_url(rp, ui_locales="en"))
    log_in_through(client, response, citizen, password)
    assert "Your Gosuslugi sign-in code" in latest_message(citizen.phone).body
