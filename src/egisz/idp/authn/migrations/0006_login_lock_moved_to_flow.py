"""The login locks move to egisz.common.flow (one lockout mechanism for both sites): the
rows are copied with their keys (the keys are derived the same way), then the old table
goes."""

from django.db import migrations


def copy_locks(apps, schema_editor):
    LoginLock = apps.get_model("authn", "LoginLock")
    AttemptLock = apps.get_model("flow", "AttemptLock")
    AttemptLock.objects.bulk_create(
        [
            AttemptLock(
                key=row.key,
                failures=row.failures,
                last_failure_at=row.last_failure_at,
                locked_until=row.locked_until,
                updated_at=row.updated_at,
            )
            for row in LoginLock.objects.all()
        ],
        ignore_conflicts=True,
    )


def copy_back(apps, schema_editor):
    LoginLock = apps.get_model("authn", "LoginLock")
    AttemptLock = apps.get_model("flow", "AttemptLock")
    LoginLock.objects.bulk_create(
        [
            LoginLock(
                key=row.key,
                failures=row.failures,
                last_failure_at=row.last_failure_at,
                locked_until=row.locked_until,
                updated_at=row.updated_at,
            )
            for row in AttemptLock.objects.all()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("authn", "0005_russian_names"),
        ("flow", "0001_attempt_lock"),
    ]

    operations = [
        migrations.RunPython(copy_locks, copy_back),
        migrations.DeleteModel(name="LoginLock"),
    ]
