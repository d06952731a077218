"""The demo's cabinet client follows the cabinet's configured address:
`EGISZ_IDP_PORT=18000 EGISZ_CABINET_PORT=18001 make run` must let «Войти через Госуслуги»
through, also over a `var/` that an earlier run on the default ports left behind."""

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from egisz.common.audit.models import AuditEvent
from egisz.idp.oidc.demo import CABINET_CLIENT_ID
from egisz.idp.oidc.models import ClientProfile
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db

OTHER_PORTS = "http://127.0.0.1:18001"


def load() -> None:
    call_command("demo_data", stdout=io.StringIO())


def authorize(client, redirect_uri: str):
    """The cabinet's «Войти через Госуслуги», as its login view sends the browser."""
    return client.get(
        "/oidc/authorize/",
        {
            "client_id": CABINET_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "openid fullname",
            "state": "s1",
            "nonce": "n1",
            "code_challenge": flow.s256("v" * 50),
            "code_challenge_method": "S256",
        },
    )


def logout_back_to(client, uri: str):
    return client.get(
        "/oidc/logout/", {"client_id": CABINET_CLIENT_ID, "post_logout_redirect_uri": uri}
    )


def test_the_cabinet_client_is_registered_for_the_configured_cabinet_port(client, settings):
    settings.DEMO_CABINET_URL = OTHER_PORTS
    load()
    response = authorize(client, f"{OTHER_PORTS}/sso/callback/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert logout_back_to(client, f"{OTHER_PORTS}/").status_code == 200
    profile = ClientProfile.objects.get(application__client_id=CABINET_CLIENT_ID)
    assert profile.backchannel_logout_uri == f"{OTHER_PORTS}/sso/backchannel-logout/"


def test_a_var_left_by_a_run_on_other_ports_is_brought_up_to_date(client, settings):
    load()  # an earlier run on the default ports
    assert authorize(client, "http://127.0.0.1:8001/sso/callback/").status_code == 302
    settings.DEMO_CABINET_URL = OTHER_PORTS
    load()
    assert authorize(client, f"{OTHER_PORTS}/sso/callback/").status_code == 302
    assert authorize(client, "http://127.0.0.1:8001/sso/callback/").status_code == 400
    assert logout_back_to(client, f"{OTHER_PORTS}/").status_code == 200
    event = AuditEvent.objects.get(action="oidc.client_changed")
    assert event.subject_id == f"client:{CABINET_CLIENT_ID}"
    assert set(event.details["fields"]) == {
        "redirect_uris",
        "post_logout_redirect_uris",
        "backchannel_logout_uri",
    }


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "http://127.0.0.1:8001"),
        ({"EGISZ_CABINET_PORT": "18001"}, "http://127.0.0.1:18001"),
        ({"EGISZ_CABINET_URL": "https://lk.example/"}, "https://lk.example"),
    ],
)
def test_the_cabinet_address_comes_from_the_cabinets_own_variables(variables, expected):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("EGISZ_CABINET_PORT", "EGISZ_CABINET_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(variables, EGISZ_DEMO="1", DJANGO_SETTINGS_MODULE="egisz.idp.settings")
    code = "from django.conf import settings; print(settings.DEMO_CABINET_URL)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == expected
