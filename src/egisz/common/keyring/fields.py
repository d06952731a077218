"""The column type of every value encrypted with the field-encryption key ring."""

from django.db import models


class EncryptedTextField(models.TextField):
    """Text encrypted with egisz.common.crypto.encrypt_text (blank: no value). The model
    keeps the ciphertext; its code encrypts and decrypts. Declaring a secret's column with
    this class is what puts it under ``rotate-field-key`` (egisz.common.keyring.registry
    finds every such column of the site), so a secret is never kept in a plain TextField.

    To the database and to migrations it is a TextField: the class changes no schema."""

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.TextField", args, kwargs
