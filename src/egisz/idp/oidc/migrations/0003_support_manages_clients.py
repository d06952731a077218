"""Support staff register and edit partner clients (not their tokens) in the console."""

from django.db import migrations

GROUP = "support"
PERMISSIONS = (
    ("oauth2_provider", "view_application"),
    ("oauth2_provider", "add_application"),
    ("oauth2_provider", "change_application"),
    ("oidc", "view_clientprofile"),
    ("oidc", "add_clientprofile"),
    ("oidc", "change_clientprofile"),
    ("oidc", "view_consent"),
)


def grant(apps, schema_editor):
    # As in support.0001: permissions normally appear after all migrations.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        for app_label, codename in PERMISSIONS:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("oidc", "0002_token_origin"),
        ("support", "0001_support_group"),
        ("oauth2_provider", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
