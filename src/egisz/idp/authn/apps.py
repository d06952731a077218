from django.apps import AppConfig


class AuthnConfig(AppConfig):
    name = "egisz.idp.authn"
    label = "authn"
    verbose_name = "Вход и сеансы"

    def ready(self):
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        # services.finish_login stores last_login with the rest of the account's update.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
