"""The project's OAuth2/OpenID Connect validator (django-oauth-toolkit's hook)."""

from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator


class EgiszValidator(OAuth2Validator):
    def is_pkce_required(self, client_id, request):
        """PKCE is required of public clients and accepted from confidential ones."""
        application = get_application_model().objects.filter(client_id=client_id).first()
        return application is None or application.client_type == application.CLIENT_PUBLIC
