from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class JobsConfig(AppConfig):
    default = True
    name = "egisz.common.jobs"
    label = "jobs"
    verbose_name = _("Фоновые задания")


class TaskQueueConfig(TasksAppConfig):
    """django-tasks-db's application under Russian names (its own are English, outside
    gettext), as the operator consoles show it in permissions. INSTALLED_APPS lists this
    class in place of "django_tasks_db"; the migrations see the model as declared."""

    default = False
    verbose_name = _("Очередь фоновых задач")

    def ready(self):
        super().ready()
        model = self.get_model("DBTaskResult")
        model._meta.verbose_name = _("фоновая задача")
        model._meta.verbose_name_plural = _("фоновые задачи")
