from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicJob(models.Model):
    """When a job of settings.PERIODIC_JOBS is due next. A worker that moves ``next_run_at``
    forward (a compare-and-set on the value it read) is the one that queues the run, so any
    number of workers on any number of machines queue each run once."""

    path = models.CharField(_("задание"), max_length=200, unique=True)
    next_run_at = models.DateTimeField(_("следующий запуск"))
    last_queued_at = models.DateTimeField(_("последний раз поставлено"), null=True, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("периодическое задание")
        verbose_name_plural = _("периодические задания")

    def __str__(self):
        return self.path
