"""Russian date formats: Django's, with the day and month in the genitive («5 декабря»)
wherever a day is named. Django's own MONTH_DAY_FORMAT ("j F") gives «5 Декабрь»; the admin's
date drill-down uses it."""

from django.conf.locale.ru.formats import *  # noqa: F403

MONTH_DAY_FORMAT = "j E"
