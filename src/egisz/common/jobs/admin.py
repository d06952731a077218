"""django-tasks-db registers its task table in Django's admin with English names; the
operator consoles are Russian throughout, and operators have nothing to do with task rows
(the outbox page and the journals show what the tasks did), so it is not shown there."""

from django.contrib import admin
from django_tasks_db.models import DBTaskResult

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
