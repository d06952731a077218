"""Every session gets the random key its per-service `sid` values derive from. Existing
rows get a key each (a unique column cannot take one default for all of them)."""

from django.db import migrations, models

import egisz.idp.authn.models


def give_every_session_a_key(apps, schema_editor):
    AccountSession = apps.get_model("authn", "AccountSession")
    for record in AccountSession.objects.filter(sid_key__isnull=True).only("pk"):
        record.sid_key = egisz.idp.authn.models.new_sid_key()
        record.save(update_fields=["sid_key"])


class Migration(migrations.Migration):
    dependencies = [("authn", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="accountsession",
            name="sid_key",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(give_every_session_a_key, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="accountsession",
            name="sid_key",
            field=models.CharField(
                default=egisz.idp.authn.models.new_sid_key,
                editable=False,
                max_length=64,
                unique=True,
                verbose_name="ключ идентификаторов сеанса для сервисов",
            ),
        ),
    ]
