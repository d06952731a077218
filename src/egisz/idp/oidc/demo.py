"""The demo's OpenID Connect clients: the ЕГИСЗ cabinet and a public partner app.

Their identifiers and the cabinet's secret are public on purpose (README, demo only);
`egisz demo-data` creates them once and leaves them alone afterwards.
"""

from oauth2_provider.models import get_application_model

from egisz.idp.oidc.services import create_client

CABINET_CLIENT_ID = "egisz-cabinet"
CABINET_CLIENT_SECRET = "demo-cabinet-secret-not-for-production"  # noqa: S105 (demo only)
PARTNER_CLIENT_ID = "demo-partner-app"

DEMO_CLIENTS = [
    {
        "client_id": CABINET_CLIENT_ID,
        "client_secret": CABINET_CLIENT_SECRET,
        "name": "Личный кабинет ЕГИСЗ",
        "description": "Медицинские документы, заявления в медицинские организации, "
        "записи к врачу и рецепты.",
        "redirect_uris": ["http://127.0.0.1:8001/sso/callback/"],
        "post_logout_uris": ["http://127.0.0.1:8001/"],
        "scopes": ["openid", "fullname", "birthdate", "snils", "inn", "mobile", "email", "id_doc"],
        "always_refresh_tokens": True,  # it refreshes while the citizen's session lasts
    },
    {
        "client_id": PARTNER_CLIENT_ID,
        "name": "Демо-приложение партнёра",
        "description": "Пример мобильного приложения партнёра: знает только ваше имя.",
        "redirect_uris": ["http://127.0.0.1:8002/callback"],
        "post_logout_uris": ["http://127.0.0.1:8002/"],
        "scopes": ["openid", "fullname"],
        "public": True,
    },
]


def ensure_demo_clients() -> list[str]:
    """Create the demo clients that do not exist yet; returns the client ids created."""
    existing = set(
        get_application_model()
        .objects.filter(client_id__in=[c["client_id"] for c in DEMO_CLIENTS])
        .values_list("client_id", flat=True)
    )
    created = []
    for definition in DEMO_CLIENTS:
        if definition["client_id"] in existing:
            continue
        create_client(**definition)
        created.append(definition["client_id"])
    return created
