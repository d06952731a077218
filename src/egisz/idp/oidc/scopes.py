"""The scopes django-oauth-toolkit offers: the project's list, limited per client."""

from oauth2_provider.scopes import BaseScopes

from egisz.idp.oidc.claims import SCOPES


class EgiszScopes(BaseScopes):
    def get_all_scopes(self):
        return {name: str(scope.label) for name, scope in SCOPES.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        """A client may ask only for the scopes support staff allowed it."""
        profile = getattr(application, "profile", None) if application is not None else None
        if profile is None:
            return ["openid"]
        return [name for name in SCOPES if name in profile.scope_set]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return ["openid"]
