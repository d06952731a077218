from django.apps import AppConfig


class KeyringConfig(AppConfig):
    name = "egisz.common.keyring"
    label = "keyring"
    verbose_name = "Ключи шифрования"

    def ready(self):
        from egisz.common.keyring import checks  # noqa: F401 (registers the system check)
