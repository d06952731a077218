from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "egisz.idp.support"
    label = "support"
    verbose_name = "Служба поддержки"

    def ready(self):
        from django.contrib import admin

        from egisz.idp.support import views

        site = admin.site
        site.site_header = _("Госуслуги — служба поддержки")
        site.site_title = _("Служба поддержки")
        site.index_title = _("Рабочее место оператора")
        site.site_url = "/"
        # The admin must not be a second, password-only way in: its login and logout are
        # the IdP's own (password and one-time code, sessions journalled).
        site.login = views.admin_login
        site.logout = views.admin_logout
        # Likewise the password: the citizen-facing change applies the policy, ends other
        # sessions and tells the owner; the admin's own form would do none of that.
        site.password_change = views.admin_password_change
