"""Support staff manage partner clients in the operator console, scopes enforced."""

import pytest
from django.contrib.auth.models import Permission
from oauth2_provider.models import get_application_model

from egisz.common.audit.models import AuditEvent
from egisz.idp.oidc.models import ClientProfile
from egisz.idp.support.services import SUPPORT_GROUP

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client, make_account):
    operator = make_account(is_staff=True)
    operator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["oauth2_provider", "oidc"],
            codename__in=[
                "add_application",
                "change_application",
                "view_application",
                "add_clientprofile",
                "change_clientprofile",
                "view_clientprofile",
            ],
        )
    )
    client.force_login(operator)
    return client


def form_data(scopes: str) -> dict:
    return {
        "client_id": "partner-admin-made",
        "client_secret": "a-secret-the-operator-copies-before-saving",
        "client_type": "confidential",
        "authorization_grant_type": "authorization-code",
        "redirect_uris": "https://partner.example/cb",
        "post_logout_redirect_uris": "",
        "allowed_origins": "",
        "name": "Партнёр",
        "algorithm": "",
        "hash_client_secret": "on",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "0",
        "profile-MIN_NUM_FORMS": "1",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-allowed_scopes": scopes,
        "profile-0-id_token_algorithm": "ES256",
        "profile-0-description": "",
    }


def test_an_operator_adds_a_client_with_its_allowed_scopes(operator_client):
    response = operator_client.post(
        "/support/oauth2_provider/application/add/", form_data("fullname snils")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    application = get_application_model().objects.get(client_id="partner-admin-made")
    profile = ClientProfile.objects.get(application=application)
    assert profile.allowed_scopes == "openid fullname snils"
    assert profile.id_token_algorithm == "ES256"
    assert AuditEvent.objects.filter(action="oidc.client_created").exists()


def test_unknown_scopes_are_refused(operator_client):
    response = operator_client.post(
        "/support/oauth2_provider/application/add/", form_data("fullname everything")
    )
    assert response.status_code == 200
    assert "Неизвестные области доступа: everything" in response.content.decode()
    assert not get_application_model().objects.filter(client_id="partner-admin-made").exists()


def test_the_support_group_may_manage_clients():
    from django.contrib.auth.models import Group

    codenames = set(
        Group.objects.get(name=SUPPORT_GROUP).permissions.values_list("codename", flat=True)
    )
    assert {"add_application", "change_application", "change_clientprofile"} <= codenames
    assert "change_accesstoken" not in codenames
