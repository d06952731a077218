import json

from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model


class Command(BaseCommand):
    help = "List the registered partner services (OpenID Connect clients) as JSON lines."

    def handle(self, *args, **options):
        applications = get_application_model().objects.select_related("profile").order_by("id")
        for application in applications:
            profile = getattr(application, "profile", None)
            self.stdout.write(
                json.dumps(
                    {
                        "client_id": application.client_id,
                        "name": application.name,
                        "type": application.client_type,
                        "redirect_uris": application.redirect_uris.split(),
                        "post_logout_uris": application.post_logout_redirect_uris.split(),
                        "scopes": profile.allowed_scopes.split() if profile else [],
                        "pairwise": bool(profile and profile.pairwise_subject),
                        "always_refresh_tokens": bool(profile and profile.always_refresh_tokens),
                        "id_token_algorithm": profile.id_token_algorithm if profile else "",
                        "token_endpoint_auth_method": (
                            profile.token_endpoint_auth_method if profile else ""
                        ),
                    },
                    ensure_ascii=False,
                )
            )
