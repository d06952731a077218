"""The IdP collects neither gender nor addresses: the scopes that released nothing
(gender, addresses, address) are no longer offered, and go from the clients' allowed
scopes so that their profiles stay valid in the console."""

from django.db import migrations

DROPPED = {"gender", "addresses", "address"}


def drop_uncollected_scopes(apps, schema_editor):
    ClientProfile = apps.get_model("oidc", "ClientProfile")
    for profile in ClientProfile.objects.all():
        scopes = profile.allowed_scopes.split()
        kept = [scope for scope in scopes if scope not in DROPPED]
        if kept != scopes:
            profile.allowed_scopes = " ".join(kept)
            profile.save(update_fields=["allowed_scopes"])


class Migration(migrations.Migration):
    dependencies = [("oidc", "0004_one_current_signing_key")]

    operations = [migrations.RunPython(drop_uncollected_scopes, migrations.RunPython.noop)]
