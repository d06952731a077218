"""django-oauth-toolkit's application under Russian names in the operator console.

DOT names its application and models in English outside gettext («Django OAuth Toolkit»,
«application», «AccessToken #1»); the IdP installs DOT with this configuration instead,
which names them in Russian. Only what is displayed changes: the migrations see DOT's models
as DOT declares them (ModelState reads Meta from original_attrs), and the names never show a
token or a code, as DOT's own do not. DOT's field names, choices and messages are translated
by the catalogue in library_locale/.
"""

from django.utils.translation import gettext_lazy as _
from oauth2_provider import apps as dot_apps

# model name: (verbose_name, verbose_name_plural, how one row is named, or None for DOT's)
MODEL_NAMES = {
    "application": (_("клиент"), _("клиенты"), None),
    "accesstoken": (_("токен доступа"), _("токены доступа"), _("Токен доступа №%(pk)s")),
    "refreshtoken": (
        _("токен обновления"),
        _("токены обновления"),
        _("Токен обновления №%(pk)s"),
    ),
    "idtoken": (_("ID-токен"), _("ID-токены"), _("ID-токен №%(pk)s")),
    "grant": (_("код авторизации"), _("коды авторизации"), _("Код авторизации №%(pk)s")),
    "devicegrant": (
        _("запрос входа с устройства"),
        _("запросы входа с устройства"),
        _("Запрос входа с устройства №%(pk)s"),
    ),
}


class ToolkitConfig(dot_apps.DOTConfig):
    """INSTALLED_APPS lists this class in place of "oauth2_provider"."""

    default = False
    verbose_name = _("Клиенты и токены OpenID Connect")

    def ready(self):
        super().ready()
        for model in self.get_models():
            if model._meta.model_name not in MODEL_NAMES:
                continue
            singular, plural, row = MODEL_NAMES[model._meta.model_name]
            model._meta.verbose_name, model._meta.verbose_name_plural = singular, plural
            if row is not None:
                model.__str__ = _row_name(row)


def _row_name(label):
    def __str__(self):
        return str(label) % {"pk": self.pk}

    return __str__
