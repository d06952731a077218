"""The demo's OpenID Connect clients: the ЕГИСЗ cabinet and a public partner app.

Their identifiers and the cabinet's secret are public on purpose (README, demo only).
`egisz demo-data` creates them, and on every later run points the cabinet client at the
cabinet's current address (settings.DEMO_CABINET_URL, from EGISZ_CABINET_URL or
EGISZ_CABINET_PORT), so a `var/` left by a run on other ports keeps working.
"""

from django.conf import settings
from django.db import transaction
from oauth2_provider.models import get_application_model

from egisz.common.audit.services import record_event
from egisz.idp.audit_actions import IdpAction
from egisz.idp.oidc.models import ClientProfile
from egisz.idp.oidc.services import create_client

CABINET_CLIENT_ID = "egisz-cabinet"
CABINET_CLIENT_SECRET = "demo-cabinet-secret-not-for-production"  # noqa: S105 (demo only)
PARTNER_CLIENT_ID = "demo-partner-app"
PARTNER_URL = "http://127.0.0.1:8002"


def demo_clients() -> list[dict]:
    cabinet = settings.DEMO_CABINET_URL
    return [
        {
            "client_id": CABINET_CLIENT_ID,
            "client_secret": CABINET_CLIENT_SECRET,
            "name": "Личный кабинет ЕГИСЗ",
            "description": "Медицинские документы, заявления в медицинские организации, "
            "записи к врачу и рецепты.",
            "redirect_uris": [f"{cabinet}/sso/callback/"],
            "post_logout_uris": [f"{cabinet}/"],
            "backchannel_logout_uri": f"{cabinet}/sso/backchannel-logout/",
            "scopes": [
                "openid",
                "fullname",
                "birthdate",
                "snils",
                "inn",
                "mobile",
                "email",
                "id_doc",
            ],
            # It refreshes its tokens while the citizen's session lasts.
            "always_refresh_tokens": True,
        },
        {
            "client_id": PARTNER_CLIENT_ID,
            "name": "Демо-приложение партнёра",
            "description": "Пример мобильного приложения партнёра: знает только ваше имя.",
            "redirect_uris": [f"{PARTNER_URL}/callback"],
            "post_logout_uris": [f"{PARTNER_URL}/"],
            "scopes": ["openid", "fullname"],
            "public": True,
        },
    ]


@transaction.atomic
def ensure_demo_clients() -> list[str]:
    """Create the demo clients that do not exist yet and bring the addresses of existing
    ones up to date; returns the client ids created."""
    definitions = demo_clients()
    existing = {
        application.client_id: application
        for application in get_application_model()
        .objects.select_related("profile")
        .filter(client_id__in=[definition["client_id"] for definition in definitions])
    }
    created = []
    for definition in definitions:
        application = existing.get(definition["client_id"])
        if application is None:
            create_client(**definition)
            created.append(definition["client_id"])
        else:
            _update_addresses(application, definition)
    return created


def _update_addresses(application, definition: dict) -> None:
    wanted = {
        "redirect_uris": " ".join(definition["redirect_uris"]),
        "post_logout_redirect_uris": " ".join(definition["post_logout_uris"]),
    }
    changed = [name for name, value in wanted.items() if getattr(application, name) != value]
    for name in changed:
        setattr(application, name, wanted[name])
    if changed:
        application.save(update_fields=changed)
    backchannel = definition.get("backchannel_logout_uri", "")
    if (
        ClientProfile.objects.filter(application=application)
        .exclude(backchannel_logout_uri=backchannel)
        .update(backchannel_logout_uri=backchannel)
    ):
        changed.append("backchannel_logout_uri")
    if changed:
        record_event(
            action=IdpAction.CLIENT_CHANGED,
            subject=f"client:{application.client_id}",
            fields=changed,
            demo=True,
        )
