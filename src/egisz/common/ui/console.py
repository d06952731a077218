"""What the operator consoles (the Django admin of each site) need to speak Russian beyond
the models' own names, for Django's groups and users:

- permissions: Django names the ones it creates «Can add <verbose_name>» (in English,
  whatever the language) and shows them as «app | model | name»; here a permission reads
  «Учётные записи · учётная запись: добавление», and a custom one keeps its own name;
- the page confirming a deletion lists the rows linking the object to its groups and
  permissions as «Связь group-permission: Group_permissions object (3)» (Django names
  these automatic tables in English); they are not objects anybody looks after, and go
  unlisted.
"""

from django import forms
from django.apps import apps
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

DEFAULT_ACTIONS = {
    "add": _("добавление"),
    "change": _("изменение"),
    "delete": _("удаление"),
    "view": _("просмотр"),
}
PERMISSION_FIELDS = ("permissions", "user_permissions")


def permission_label(permission) -> str:
    model = permission.content_type.model_class()
    if model is None:  # a content type left from a removed model
        return str(permission.name)
    action, _sep, model_name = permission.codename.partition("_")
    what = DEFAULT_ACTIONS.get(action) if model_name == model._meta.model_name else None
    app_name = capfirst(model._meta.app_config.verbose_name)
    return f"{app_name} · {model._meta.verbose_name}: {what or permission.name}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class RussianAuthAdminMixin:
    """For the admins of groups and users."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in PERMISSION_FIELDS:
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_deleted_objects(self, objs, request):
        to_delete, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        links = [model for model in apps.get_models(include_auto_created=True) if _is_link(model)]
        # How Django's get_deleted_objects names a row and counts a model.
        prefixes = tuple(f"{capfirst(model._meta.verbose_name)}: " for model in links)
        plurals = {str(model._meta.verbose_name_plural) for model in links}
        counts = {name: count for name, count in counts.items() if str(name) not in plurals}
        return _unlisted(to_delete, prefixes), counts, perms_needed, protected


def _is_link(model) -> bool:
    """The table Django makes for a many-to-many field without a model of its own."""
    return bool(model._meta.auto_created)


def _unlisted(items: list, prefixes: tuple[str, ...]) -> list:
    kept = []
    for item in items:
        if isinstance(item, list):
            nested = _unlisted(item, prefixes)
            if nested:
                kept.append(nested)
        elif not str(item).startswith(prefixes):
            kept.append(item)
    return kept
