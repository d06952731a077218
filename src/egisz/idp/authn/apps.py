from django.apps import AppConfig


class AuthnConfig(AppConfig):
    name = "egisz.idp.authn"
    label = "authn"
    verbose_name = "Вход и сеансы"
