from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "egisz.idp.oidc"
    label = "oidc"
    verbose_name = "OpenID Connect"
