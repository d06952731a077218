from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "egisz.idp.accounts"
    label = "accounts"
    verbose_name = "Учётные записи"
