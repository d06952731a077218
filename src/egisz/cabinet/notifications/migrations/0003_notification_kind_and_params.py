from django.db import migrations, models


class Migration(migrations.Migration):
    """Notifications become a kind plus parameters, rendered when read; the text stored so
    far stays, for the rows of kind «legacy» (0004 converts the rows it recognises)."""

    dependencies = [
        ("cabinet_notifications", "0002_russian_names"),
    ]

    operations = [
        migrations.RenameField(model_name="notification", old_name="title", new_name="legacy_title"),
        migrations.RenameField(model_name="notification", old_name="body", new_name="legacy_body"),
        migrations.AlterField(
            model_name="notification",
            name="legacy_title",
            field=models.CharField(blank=True, max_length=200, verbose_name="заголовок прежнего вида"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="legacy_body",
            field=models.TextField(blank=True, verbose_name="текст прежнего вида"),
        ),
        migrations.AddField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("phone_changed", "Изменение телефона"),
                    ("email_changed", "Изменение электронной почты"),
                    ("address_changed", "Изменение адреса"),
                    ("profile_completed", "Профиль заполнен"),
                    ("policy_saved", "Сохранены данные полиса ОМС"),
                    ("correction_approved", "Исправление данных принято"),
                    ("correction_rejected", "Исправление данных отклонено"),
                    ("attachment_accepted", "Прикрепление принято"),
                    ("attachment_rejected", "Прикрепление отклонено"),
                    ("legacy", "Уведомление прежнего вида"),
                ],
                default="legacy",
                max_length=32,
                verbose_name="вид",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="параметры"),
        ),
    ]
