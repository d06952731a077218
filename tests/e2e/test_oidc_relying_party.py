"""A third-party relying party logs citizens in through the IdP's OpenID Connect provider.

The RP is authlib's client (tests/e2e/relying_party.py), configured from discovery only;
the citizen is a real Chromium driven by Playwright: password, the SMS code read from the
demo outbox, the consent screen. Covered: a confidential client (client_secret_basic,
RS256) and a public one (PKCE only, ES256), ID-token validation against the JWKS, UserInfo
limited to the consented scopes, refresh tokens only for offline_access and their rotation,
`iss` in every authorization response (RFC 9207), an authorization request POSTed from the
RP's page, RP-initiated logout, and a refusal on the consent screen.
"""

import json
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.people import read_sms_code, snils_for
from tests.e2e.relying_party import (
    AuthorizationRequest,
    CallbackServer,
    RelyingParty,
    query_of,
)

pytestmark = pytest.mark.e2e

PASSWORD = "Oblako#Rassvet2024"
AGREE = "Я согласен на передачу моих данных сервису"
SIMPLIFIED = "urn:egisz:loa:simplified"


@dataclass
class Citizen:
    phone: str
    password: str


@pytest.fixture
def citizen(idp, unique_phone) -> Citizen:
    """An account with more data than any client here asks for (СНИЛС, ИНН, passport,
    e-mail), so UserInfo can be checked to release only what was consented to."""
    serial = int(unique_phone[-4:])
    snils = re.sub(r"\D", "", snils_for(serial))
    idp.shell(
        "import datetime\n"
        "from egisz.idp.accounts.models import Account\n"
        f"Account.objects.create_user(phone={unique_phone!r}, password={PASSWORD!r}, "
        "last_name='Королёва', first_name='Дарья', middle_name='Игоревна', "
        f"birth_date=datetime.date(1988, 3, 9), snils={snils!r}, inn='771234567890', "
        f"passport='4510{serial:06d}', email='daria.{serial}@example.org', "
        "email_confirmed=True, level='simplified')\n"
    )
    return Citizen(unique_phone, PASSWORD)


@pytest.fixture
def rp_site():
    """The relying party's own origin (its callback and post-logout pages)."""
    site = CallbackServer()
    yield site
    site.close()


@pytest.fixture
def register_client(idp):
    """`egisz idp create-client …` on the server's database; returns its JSON output."""

    def register(
        *,
        name: str,
        redirect_uri: str,
        scopes: str,
        post_logout_uri: str | None = None,
        public: bool = False,
        algorithm: str = "RS256",
    ) -> dict:
        args = ["--name", name, "--redirect-uri", redirect_uri, "--scopes", scopes]
        args += ["--algorithm", algorithm]
        if post_logout_uri:
            args += ["--post-logout-uri", post_logout_uri]
        if public:
            args.append("--public")
        output = idp.manage("create-client", *args)
        return json.loads(output.strip().splitlines()[-1])

    return register


def log_in_at_idp(page: Page, citizen: Citizen) -> None:
    """The IdP's login page the RP sent the browser to: password, then the SMS code."""
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Телефон, почта или СНИЛС").fill(citizen.phone)
    page.get_by_label("Пароль", exact=True).fill(citizen.password)
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.get_by_text("Мы отправили SMS с кодом на номер")).to_be_visible()
    code = read_sms_code(page.context, citizen.phone, "Код для входа")
    page.get_by_label("Код подтверждения").fill(code)
    page.get_by_role("button", name="Подтвердить", exact=True).click()


def expect_consent_screen(page: Page, service: str, asked: list[str], not_asked: list[str]):
    """The screen names the service and, in plain words, each piece of data it asks for."""
    expect(page.get_by_label(AGREE)).to_be_visible()
    expect(page.get_by_text(service).first).to_be_visible()
    for line in asked:
        expect(page.get_by_text(line, exact=True)).to_be_visible()
    for line in not_asked:
        expect(page.get_by_text(line, exact=True)).to_have_count(0)


def give_consent(page: Page) -> None:
    page.get_by_label(AGREE).check()
    page.get_by_role("button", name="Подтвердить", exact=True).click()


def landed_on(page: Page, site: CallbackServer, uri: str) -> str:
    """Waits until the browser is on the RP's ``uri`` and returns the full URL it got."""
    expect(page).to_have_url(re.compile("^" + re.escape(uri)))
    return site.last(urlsplit(uri).path)


def authorize(page: Page, rp: RelyingParty, **extra: str) -> AuthorizationRequest:
    request = rp.authorization_request(**extra)
    assert "code_challenge_method=S256" in request.url
    page.goto(request.url)
    return request


def post_authorization_request(page: Page, url: str) -> None:
    """What RP libraries that POST the request do (OpenID Connect Core 3.1.2.1): a form of
    hidden fields on the RP's own page, submitted at once."""
    endpoint, _, query = url.partition("?")
    page.evaluate(
        """([endpoint, fields]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = endpoint;
            for (const [name, value] of fields) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        [endpoint, parse_qsl(query)],
    )


def check_tokens(rp, request, tokens, *, algorithm: str, offline: bool) -> dict:
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["access_token"] and tokens["id_token"]
    # A refresh token only when offline access was asked for (and agreed to).
    assert bool(tokens.get("refresh_token")) is offline
    header, claims = rp.validate_id_token(
        tokens["id_token"],
        nonce=request.nonce,
        access_token=tokens["access_token"],
        algorithm=algorithm,
    )
    assert header["alg"] == algorithm
    assert header["kid"] in {key["kid"] for key in rp.jwks()["keys"]}
    assert claims["nonce"] == request.nonce
    assert claims["acr"] == SIMPLIFIED
    assert {"pwd", "sms"} <= set(claims["amr"])
    assert claims["auth_time"] <= time.time() + 5
    # The access token is a JWT a resource server checks offline, for the same citizen.
    access = rp.validate_access_token(tokens["access_token"])
    assert access["sub"] == claims["sub"]
    assert set(access["scope"].split()) == set(rp.scope.split())
    return claims


def test_confidential_client_logs_in_refreshes_and_logs_out(
    idp, page, citizen, register_client, rp_site
):
    origin = rp_site.origin
    client = register_client(
        name="Запись к врачу онлайн",
        redirect_uri=f"{origin}/cb",
        post_logout_uri=f"{origin}/logged-out",
        # Allowed more than it asks for: only what it asks for (and the citizen agreed
        # to) is released.
        scopes="openid fullname birthdate snils inn email offline_access",
        algorithm="RS256",
    )
    rp = RelyingParty(
        issuer=idp.url,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        redirect_uri=f"{origin}/cb",
        post_logout_redirect_uri=f"{origin}/logged-out",
        scope="openid fullname birthdate offline_access",
    )
    assert "client_secret_basic" in rp.metadata["token_endpoint_auth_methods_supported"]
    assert "S256" in rp.metadata["code_challenge_methods_supported"]

    request = authorize(page, rp)
    log_in_at_idp(page, citizen)
    expect_consent_screen(
        page,
        "Запись к врачу онлайн",
        asked=[
            "Фамилия, имя и отчество",
            "Дата рождения",
            "Доступ к этим данным, когда вы не пользуетесь сервисом",
        ],
        not_asked=["СНИЛС", "ИНН", "Электронная почта"],
    )
    give_consent(page)
    callback = landed_on(page, rp_site, f"{origin}/cb")
    assert query_of(callback)["state"] == request.state
    assert query_of(callback)["iss"] == rp.metadata["issuer"]  # RFC 9207

    tokens = rp.exchange(request, callback)
    claims = check_tokens(rp, request, tokens, algorithm="RS256", offline=True)

    response = rp.userinfo(tokens["access_token"])
    assert response.status_code == 200, response.text
    info = response.json()
    assert info == {
        "sub": claims["sub"],
        "family_name": "Королёва",
        "given_name": "Дарья",
        "middle_name": "Игоревна",
        "name": info["name"],
        "birthdate": "1988-03-09",
    }
    assert "Королёва" in info["name"]

    # Refresh: a new access token and a new refresh token (rotation); the old refresh
    # token is spent.
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed["access_token"] != tokens["access_token"]
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    if "id_token" in refreshed:
        _, again = rp.validate_id_token(
            refreshed["id_token"],
            nonce=None,
            access_token=refreshed["access_token"],
            algorithm="RS256",
        )
        # OpenID Connect Core 12.2: same issuer, subject, audience and login time.
        assert again["sub"] == claims["sub"]
        assert again["auth_time"] == claims["auth_time"]
    assert rp.userinfo(refreshed["access_token"]).json() == info

    # RP-initiated logout: back at the post-logout URI with the RP's state, and the IdP
    # session is gone.
    page.goto(rp.logout_url(tokens["id_token"], state="bye-123"))
    logged_out = landed_on(page, rp_site, f"{origin}/logged-out")
    assert query_of(logged_out).get("state") == "bye-123"
    page.goto(f"{idp.url}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_label("Пароль", exact=True)).to_be_visible()


def test_public_client_with_pkce_and_es256(idp, page, citizen, register_client, rp_site):
    origin = rp_site.origin
    client = register_client(
        name="Мобильное приложение «Здоровье»",
        redirect_uri=f"{origin}/callback",
        scopes="openid fullname",
        public=True,
        algorithm="ES256",
    )
    assert client["client_secret"] is None
    rp = RelyingParty(
        issuer=idp.url,
        client_id=client["client_id"],
        client_secret=None,
        redirect_uri=f"{origin}/callback",
        scope="openid fullname",
    )

    request = authorize(page, rp)
    log_in_at_idp(page, citizen)
    expect_consent_screen(
        page,
        "Мобильное приложение «Здоровье»",
        asked=["Фамилия, имя и отчество"],
        not_asked=["Дата рождения", "СНИЛС"],
    )
    give_consent(page)
    callback = landed_on(page, rp_site, f"{origin}/callback")

    # A public client proves possession of the code with the PKCE verifier alone.
    assert rp.session.token_endpoint_auth_method == "none"
    assert "none" in rp.metadata["token_endpoint_auth_methods_supported"]
    tokens = rp.exchange(request, callback)
    claims = check_tokens(rp, request, tokens, algorithm="ES256", offline=False)
    info = rp.userinfo(tokens["access_token"]).json()
    assert set(info) == {"sub", "family_name", "given_name", "middle_name", "name"}
    assert info["sub"] == claims["sub"]

    # Logged in and consent given: the next authorization, POSTed from the RP's page this
    # time, comes straight back with a new code, and the same citizen (same sub).
    second = rp.authorization_request()
    page.goto(f"{origin}/")
    post_authorization_request(page, second.url)
    callback_2 = landed_on(page, rp_site, f"{origin}/callback")
    assert query_of(callback_2)["state"] == second.state
    assert query_of(callback_2)["iss"] == rp.metadata["issuer"]
    assert query_of(callback_2)["code"] != query_of(callback)["code"]
    tokens_2 = rp.exchange(second, callback_2)
    claims_2 = check_tokens(rp, second, tokens_2, algorithm="ES256", offline=False)
    assert claims_2["sub"] == claims["sub"]

    # The first code again: refused, as the RP's library sees it.
    replay = rp.token_request(
        grant_type="authorization_code",
        code=query_of(callback)["code"],
        redirect_uri=rp.redirect_uri,
        code_verifier=request.code_verifier,
    )
    assert replay.status_code == 400, replay.text
    assert replay.json()["error"] == "invalid_grant"


def test_refusal_on_the_consent_screen_returns_access_denied(
    idp, page, citizen, register_client, rp_site
):
    origin = rp_site.origin
    client = register_client(
        name="Страховая компания", redirect_uri=f"{origin}/cb", scopes="openid fullname snils"
    )
    rp = RelyingParty(
        issuer=idp.url,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        redirect_uri=f"{origin}/cb",
        scope="openid fullname snils",
    )

    request = authorize(page, rp)
    log_in_at_idp(page, citizen)
    expect_consent_screen(
        page, "Страховая компания", asked=["Фамилия, имя и отчество", "СНИЛС"], not_asked=[]
    )
    page.get_by_role("button", name="Отказаться", exact=True).click()
    callback = landed_on(page, rp_site, f"{origin}/cb")
    answer = query_of(callback)
    assert answer["error"] == "access_denied"
    assert answer["state"] == request.state
    assert answer["iss"] == rp.metadata["issuer"]
    assert "code" not in answer
