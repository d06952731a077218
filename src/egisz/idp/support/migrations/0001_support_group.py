"""The «support» group: what operators may do in the console at /support/."""

from django.db import migrations

GROUP = "support"
PERMISSIONS = (
    ("accounts", "view_account"),
    ("accounts", "change_account"),
    ("accounts", "add_account"),
    ("accounts", "confirm_identity"),
    ("accounts", "view_identityconfirmation"),
    ("accounts", "view_registrycheck"),
    ("audit", "view_auditevent"),
)


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create them
    # now so the group can be given them on a fresh database.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_confirm_identity_permission_and_due_index"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
