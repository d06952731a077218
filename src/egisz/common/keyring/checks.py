"""A system check: a column named as encrypted must be an EncryptedTextField, or
rotate-field-key would pass it over and dropping an old key would lose its values."""

from django.apps import apps
from django.core import checks

from egisz.common.keyring.fields import EncryptedTextField


def unmarked_columns(models) -> list[str]:
    """``app.Model.field`` of each column of the project's ``models`` whose name says
    encrypted while its type is not EncryptedTextField."""
    found = []
    for model in models:
        if not model.__module__.startswith("egisz."):
            continue
        for field in model._meta.concrete_fields:
            if "encrypted" in field.name and not isinstance(field, EncryptedTextField):
                found.append(f"{model._meta.label}.{field.name}")
    return found


@checks.register(checks.Tags.models)
def encrypted_columns_are_rotated(app_configs=None, **kwargs):
    return [
        checks.Error(
            f"{column} looks encrypted but is not an EncryptedTextField",
            hint="Declare it with egisz.common.keyring.fields.EncryptedTextField so that "
            "rotate-field-key re-encrypts it.",
            id="keyring.E001",
        )
        for column in unmarked_columns(apps.get_models())
    ]
