"""Refresh tokens only for offline_access (OpenID Connect Core §11) or for a client set to get
one at every login (the cabinet), and what the consent screen says about it."""

from urllib.parse import urlencode

import pytest
from oauth2_provider.models import AccessToken, RefreshToken

from egisz.idp.accounts.models import Level
from egisz.idp.oidc import demo
from egisz.idp.oidc.models import ClientProfile
from tests.idp.helpers_login import log_in
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db

OFFLINE_LINE = "Доступ к этим данным, когда вы не пользуетесь сервисом"
OFFLINE_NOTE = "Сервис просит доступ и на то время, когда вы им не пользуетесь"


def authorize_url(rp, scope: str) -> str:
    query = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": flow.REDIRECT_URI,
        "scope": scope,
        "state": "st-1",
    }
    return "/oidc/authorize/?" + urlencode(query)


@pytest.fixture
def account(make_account):
    return make_account(level=Level.STANDARD)


@pytest.fixture
def partner():
    """A partner allowed offline_access, without the every-login setting."""
    return flow.make_client(scopes="openid fullname offline_access", always_refresh_tokens=False)


def test_a_login_without_offline_access_gets_no_refresh_token(client, partner, account):
    tokens = flow.tokens_for(client, partner, account, scope="openid fullname")
    assert tokens["access_token"] and tokens["id_token"]
    assert "refresh_token" not in tokens
    assert not RefreshToken.objects.exists()


def test_offline_access_gets_a_refresh_token_that_rotates(client, partner, account):
    tokens = flow.tokens_for(client, partner, account, scope="openid fullname offline_access")
    assert tokens["refresh_token"]
    response = flow.refresh(client, partner, tokens["refresh_token"])
    assert response.status_code == 200, response.content
    assert response.json()["refresh_token"] not in ("", tokens["refresh_token"])


def test_a_public_client_too_gets_one_only_for_offline_access(client, account):
    app = flow.make_client(
        public=True, scopes="openid fullname offline_access", always_refresh_tokens=False
    )
    assert "refresh_token" not in flow.tokens_for(client, app, account)
    assert flow.tokens_for(client, app, account, scope="openid offline_access")["refresh_token"]


def test_a_client_set_to_get_one_at_every_login_does_without_offline_access(client, account):
    cabinet = flow.make_client(scopes="openid fullname", always_refresh_tokens=True)
    assert flow.tokens_for(client, cabinet, account, scope="openid fullname")["refresh_token"]


def test_the_demo_cabinet_keeps_getting_refresh_tokens(client, account):
    demo.ensure_demo_clients()
    assert ClientProfile.objects.get(
        application__client_id=demo.CABINET_CLIENT_ID
    ).always_refresh_tokens
    partner = ClientProfile.objects.get(application__client_id=demo.PARTNER_CLIENT_ID)
    assert not partner.always_refresh_tokens


def test_a_replayed_code_revokes_the_access_token_it_gave_without_a_refresh_token(
    client, partner, account
):
    code = flow.issue_code(partner, account)
    first = flow.exchange(client, partner, code).json()
    assert "refresh_token" not in first
    assert flow.userinfo(client, first["access_token"]).status_code == 200
    assert flow.exchange(client, partner, code).json()["error"] == "invalid_grant"
    assert flow.userinfo(client, first["access_token"]).status_code == 401
    assert not AccessToken.objects.exists()


def test_offline_access_is_asked_for_only_by_clients_allowed_it(client, account, password):
    rp = flow.make_client(scopes="openid fullname", always_refresh_tokens=False)
    log_in(client, account, password)
    url = authorize_url(rp, "openid fullname offline_access")
    location = client.get(url)["Location"]
    assert location.startswith(flow.REDIRECT_URI + "?") and "error=invalid_scope" in location


def test_the_consent_screen_says_what_offline_access_means(client, partner, account, password):
    log_in(client, account, password)
    page = client.get(authorize_url(partner, "openid fullname offline_access"))
    text = page.content.decode()
    assert page.status_code == 200
    assert OFFLINE_LINE in text and OFFLINE_NOTE in text
    assert "пока вы не отзовёте согласие" in text
    # The data come first, offline access after them.
    assert text.index("Фамилия, имя и отчество") < text.index(OFFLINE_LINE)

    page = client.get(authorize_url(partner, "openid fullname"))
    assert OFFLINE_LINE not in page.content.decode()
    assert OFFLINE_NOTE not in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_demo_cabinet_getting_refresh_tokens(migrate_oidc):
    old = migrate_oidc("0005_drop_uncollected_scopes").get_model("oidc", "ClientProfile")
    for client_id in (demo.CABINET_CLIENT_ID, "partner"):
        application = flow.bare_application(client_id)
        old.objects.create(application_id=application.pk, allowed_scopes="openid")
    new = migrate_oidc("0006_client_offline_access").get_model("oidc", "ClientProfile")
    assert new.objects.get(application__client_id=demo.CABINET_CLIENT_ID).always_refresh_tokens
    assert not new.objects.get(application__client_id="partner").always_refresh_tokens
