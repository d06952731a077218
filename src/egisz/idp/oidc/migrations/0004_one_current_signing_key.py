"""One current signing key per algorithm.

A fresh database could get several current keys when workers signed their first tokens at
the same moment. Before the constraint goes on, all but the newest current key of each
algorithm are retired: they stay published (relying parties can still check what they
signed) and sign nothing more.
"""

from django.db import migrations, models
from django.utils import timezone


def retire_extra_current_keys(apps, schema_editor):
    SigningKey = apps.get_model("oidc", "SigningKey")
    now = timezone.now()
    for algorithm in SigningKey.objects.values_list("algorithm", flat=True).distinct():
        current = SigningKey.objects.filter(algorithm=algorithm, retired_at__isnull=True)
        newest = current.order_by("-created_at", "-id").first()
        if newest is not None:
            current.exclude(pk=newest.pk).update(retired_at=now)


class Migration(migrations.Migration):
    dependencies = [("oidc", "0003_support_manages_clients")]

    operations = [
        migrations.RunPython(retire_extra_current_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="signingkey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("retired_at__isnull", True)),
                fields=("algorithm",),
                name="one_current_signing_key_per_algorithm",
            ),
        ),
    ]
