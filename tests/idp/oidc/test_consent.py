"""Consent records and «Привязанные сервисы»: the list, and withdrawing a consent."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from egisz.common.audit.models import AuditEvent
from egisz.common.outbox.models import Message
from egisz.idp.accounts.models import Level
from egisz.idp.oidc import consent
from egisz.idp.oidc.models import Consent
from egisz.idp.oidc.services import create_client
from tests.idp.helpers_login import latest_code, log_in

pytestmark = pytest.mark.django_db

REDIRECT_URI = "https://rp.example/callback"
START = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def rp():
    return create_client(
        name="Запись к врачу",
        redirect_uris=[REDIRECT_URI],
        scopes=["openid", "fullname", "birthdate", "snils", "mobile", "phone"],
        description="Онлайн-запись на приём",
    ).application


@pytest.fixture
def other_rp():
    return create_client(
        name="Аптека", redirect_uris=["https://pharmacy.example/cb"], scopes=["openid", "email"]
    ).application


@pytest.fixture
def citizen(make_account):
    return make_account(level=Level.STANDARD, email="maria@example.org", email_confirmed=True)


@pytest.fixture
def logged_in(client, citizen, password):
    log_in(client, citizen, password)
    return client


def give(account, application, scopes, meta):
    return consent.give_consent(
        account=account, application=application, scopes=scopes.split(), meta=meta
    )


# --- the services -----------------------------------------------------------------------------


def test_a_consent_to_more_data_covers_what_was_agreed_before(citizen, rp, meta):
    give(citizen, rp, "openid fullname", meta)
    assert consent.consent_covers(account=citizen, application=rp, scopes=["openid", "fullname"])
    assert not consent.consent_covers(account=citizen, application=rp, scopes=["snils"])
    latest = give(citizen, rp, "openid snils", meta)
    assert latest.scopes == "openid fullname snils"
    assert consent.current_consent(account=citizen, application=rp) == latest
    event = AuditEvent.objects.filter(action="oidc.consent_given").order_by("-id").first()
    assert event.details["scopes"] == ["openid", "snils"]
    assert event.details["covers"] == ["openid", "fullname", "snils"]
    assert event.ip == meta.ip and event.subject_id == str(citizen.pk)


def test_withdrawing_ends_every_consent_to_that_client_only(citizen, rp, other_rp, meta):
    give(citizen, rp, "openid fullname", meta)
    give(citizen, rp, "openid snils", meta)
    give(citizen, other_rp, "openid email", meta)
    result = consent.withdraw_consent(account=citizen, application=rp, meta=meta)
    assert result.consents == 2
    assert consent.current_consent(account=citizen, application=rp) is None
    assert not consent.consent_covers(account=citizen, application=rp, scopes=["openid"])
    assert consent.consent_covers(account=citizen, application=other_rp, scopes=["email"])


def make_tokens(account, application, *, suffix: str):
    """Tokens as the token endpoint leaves them: an ID token, an access token bound to it,
    a refresh token, and an unused code."""
    expires = timezone.now() + datetime.timedelta(minutes=10)
    id_token = IDToken.objects.create(
        user=account, application=application, expires=expires, scope="openid"
    )
    access = AccessToken.objects.create(
        user=account,
        application=application,
        token=f"access-{suffix}",
        expires=expires,
        scope="openid fullname",
        id_token=id_token,
    )
    refresh = RefreshToken.objects.create(
        user=account, application=application, token=f"refresh-{suffix}", access_token=access
    )
    Grant.objects.create(
        user=account,
        application=application,
        code=f"code-{suffix}",
        expires=expires,
        redirect_uri=REDIRECT_URI,
        scope="openid",
    )
    return access, refresh


# --- «Привязанные сервисы» ----------------------------------------------------------------------


def test_linked_services_need_a_login(client):
    response = client.get(reverse("oidc:linked_services"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_linked_services_list_each_service_its_data_and_the_time(
    logged_in, citizen, rp, other_rp, meta, make_account
):
    with time_machine.travel(START, tick=False):
        give(citizen, rp, "openid fullname birthdate mobile phone", meta)
        give(citizen, other_rp, "openid", meta)
        give(make_account(), rp, "openid snils", meta)  # someone else's
        with CaptureQueriesContext(connection) as queries:
            response = logged_in.get(reverse("oidc:linked_services"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Привязанные сервисы" in text and 'aria-current="page"' in text
    assert "Запись к врачу" in text and "Онлайн-запись на приём" in text and "Аптека" in text
    for line in ("Фамилия, имя и отчество", "Дата рождения"):
        assert f"<li>{line}</li>" in text
    assert text.count("<li>Мобильный телефон</li>") == 1  # mobile and phone read alike
    assert "СНИЛС" not in text
    assert "Только подтверждение входа, без персональных данных" in text
    assert "01.06.2026 12:00" in text  # Moscow time
    assert text.count(">Отозвать согласие</button>") == 2
    # One query for the consents however many services (plus session and account).
    consent_queries = [q for q in queries.captured_queries if "oidc_consent" in q["sql"]]
    assert len(consent_queries) == 1


def test_the_settings_menu_links_to_linked_services(logged_in):
    text = logged_in.get("/settings/sessions/").content.decode()
    assert f'href="{reverse("oidc:linked_services")}"' in text
    assert "Привязанные сервисы" in text


def test_an_empty_list_says_so(logged_in):
    text = logged_in.get(reverse("oidc:linked_services")).content.decode()
    assert "Вы пока не давали согласия на передачу данных ни одному сервису." in text


def test_withdrawing_revokes_that_clients_tokens_at_once_and_tells_the_owner(
    logged_in, citizen, rp, other_rp, meta
):
    record = give(citizen, rp, "openid fullname", meta)
    give(citizen, other_rp, "openid email", meta)
    access, refresh = make_tokens(citizen, rp, suffix="rp")
    other_access, other_refresh = make_tokens(citizen, other_rp, suffix="other")
    url = reverse("oidc:linked_service_withdraw", args=[record.pk])
    response = logged_in.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("oidc:linked_services")

    assert not AccessToken.objects.filter(pk=access.pk).exists()
    refresh.refresh_from_db()
    assert refresh.revoked is not None and refresh.access_token_id is None
    assert not Grant.objects.filter(application=rp, user=citizen).exists()
    assert not IDToken.objects.filter(application=rp, user=citizen).exists()
    # The other service keeps its access.
    assert AccessToken.objects.filter(pk=other_access.pk).exists()
    other_refresh.refresh_from_db()
    assert other_refresh.revoked is None
    assert Grant.objects.filter(application=other_rp).exists()

    record.refresh_from_db()
    assert record.withdrawn_at is not None
    event = AuditEvent.objects.get(action="oidc.consent_withdrawn")
    assert event.subject_id == str(citizen.pk) and event.details["client_id"] == rp.client_id
    assert event.details["refresh_tokens_revoked"] == 1
    sms = Message.objects.get(recipient=citizen.phone, body__contains="отозвали согласие")
    assert "Запись к врачу" in sms.body
    assert Message.objects.filter(recipient=citizen.email, body__contains="Запись к врачу").exists()

    page = logged_in.get(response["Location"]).content.decode()
    assert "Согласие отозвано" in page
    assert "Аптека" in page and ">Запись к врачу<" not in page


def test_after_withdrawal_the_next_login_to_the_client_asks_for_consent_again(
    logged_in, citizen, rp, meta
):
    record = give(citizen, rp, "openid fullname", meta)
    consent.withdraw_consent(account=citizen, application=rp, meta=meta)
    url = "/oidc/authorize/?" + "&".join(
        [
            "response_type=code",
            f"client_id={rp.client_id}",
            "redirect_uri=https%3A%2F%2Frp.example%2Fcallback",
            "scope=openid+fullname",
            "state=s1",
            "prompt=none",
        ]
    )
    response = logged_in.get(url)
    assert "error=consent_required" in response["Location"]
    assert Consent.objects.get(pk=record.pk).withdrawn_at is not None


def test_another_citizens_consent_cannot_be_withdrawn(logged_in, rp, make_account, meta):
    someone = make_account()
    theirs = give(someone, rp, "openid fullname", meta)
    response = logged_in.post(reverse("oidc:linked_service_withdraw", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None
    assert not AuditEvent.objects.filter(action="oidc.consent_withdrawn").exists()


def test_withdrawing_twice_or_an_unknown_id_is_not_found(logged_in, citizen, rp, meta):
    record = give(citizen, rp, "openid", meta)
    url = reverse("oidc:linked_service_withdraw", args=[record.pk])
    assert logged_in.post(url).status_code == 302
    assert logged_in.post(url).status_code == 404
    assert logged_in.post(reverse("oidc:linked_service_withdraw", args=[999999])).status_code == 404


def test_withdrawing_takes_a_post_with_the_csrf_token(citizen, rp, meta, password):
    record = give(citizen, rp, "openid", meta)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/login/")
    browser.post(
        "/login/",
        {
            "identifier": citizen.phone,
            "password": password,
            "csrfmiddlewaretoken": str(page.context["csrf_token"]),
        },
    )
    page = browser.get("/login/code/")
    browser.post(
        "/login/code/",
        {
            "code": latest_code(citizen.phone, "Код для входа"),
            "csrfmiddlewaretoken": str(page.context["csrf_token"]),
        },
    )
    url = reverse("oidc:linked_service_withdraw", args=[record.pk])
    assert browser.get(url).status_code == 405
    assert browser.post(url).status_code == 403
    record.refresh_from_db()
    assert record.withdrawn_at is None
