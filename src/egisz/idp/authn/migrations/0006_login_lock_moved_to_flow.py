"""The login locks move to egisz.common.flow (one lockout mechanism for both sites): the
rows are copied with their keys (the keys are derived the same way), then the old table
goes."""

from django.db import migrations


FIELDS = ("key", "failures", "last_failure_at", "locked_until", "updated_at")


def _copy(source, target):
    target.objects.bulk_create(
        [target(**{name: getattr(row, name) for name in FIELDS}) for row in source.objects.all()],
        ignore_conflicts=True,
    )


def copy_locks(apps, schema_editor):
    _copy(apps.get_model("authn", "LoginLock"), apps.get_model("flow", "AttemptLock"))


def copy_back(apps, schema_editor):
    _copy(apps.get_model("flow", "AttemptLock"), apps.get_model("authn", "LoginLock"))


class Migration(migrations.Migration):
    dependencies = [
        ("authn", "0005_russian_names"),
        ("flow", "0001_attempt_lock"),
    ]

    operations = [
        migrations.RunPython(copy_locks, copy_back),
        migrations.DeleteModel(name="LoginLock"),
    ]
