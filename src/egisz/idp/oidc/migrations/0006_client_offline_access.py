"""Refresh tokens only for offline_access, or for a client set to get one at every login.

The demo cabinet (client egisz-cabinet) refreshes its tokens while the citizen's session
lasts: an existing demo database keeps it working by setting the flag on that client. A
production cabinet registered under another client id gets it in the console (README).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


DEMO_CABINET_CLIENT_ID = "egisz-cabinet"  # egisz.idp.oidc.demo.CABINET_CLIENT_ID


def refresh_tokens_for_the_demo_cabinet(apps, schema_editor):
    ClientProfile = apps.get_model("oidc", "ClientProfile")
    ClientProfile.objects.filter(application__client_id=DEMO_CABINET_CLIENT_ID).update(
        always_refresh_tokens=True
    )


class Migration(migrations.Migration):

    dependencies = [
        ('oidc', '0005_drop_uncollected_scopes'),
        migrations.swappable_dependency(settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='authorizationcontext',
            name='access_token',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL),
        ),
        migrations.AddField(
            model_name='clientprofile',
            name='always_refresh_tokens',
            field=models.BooleanField(default=False, help_text='Для собственных сервисов оператора, которые обновляют токены, пока гражданин в них работает (личный кабинет ЕГИСЗ). Без отметки refresh-токен выдаётся, только если сервис запросил область offline_access и гражданин согласился.', verbose_name='выдавать refresh-токен при каждом входе'),
        ),
        migrations.RunPython(refresh_tokens_for_the_demo_cabinet, migrations.RunPython.noop),
    ]
