"""The operators' group is named in Russian: operators see it in the console."""

from django.db import migrations

OLD = "support"
NEW = "Служба поддержки"


def rename(apps, schema_editor):
    _move(apps, OLD, NEW)


def rename_back(apps, schema_editor):
    _move(apps, NEW, OLD)


def _move(apps, source_name, target_name):
    Group = apps.get_model("auth", "Group")
    source = Group.objects.filter(name=source_name).first()
    if source is None:
        return
    target = Group.objects.filter(name=target_name).first()
    if target is None:
        source.name = target_name
        source.save(update_fields=["name"])
        return
    # Both exist (a group made by hand under the new name): one group with both's rights.
    target.permissions.add(*source.permissions.all())
    target.user_set.add(*source.user_set.all())
    source.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_support_group"),
        # Gives the group the client permissions under its old name.
        ("oidc", "0003_support_manages_clients"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
