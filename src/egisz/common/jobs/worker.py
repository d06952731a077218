"""The loop behind `egisz worker` and the delivery thread of `egisz serve-demo`.

A round queues the periodic jobs that are due (egisz.common.jobs.scheduler), then runs the
queued tasks until the queue is empty: each task row is claimed as django-tasks-db's
db_worker claims it (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, an exclusive
transaction on SQLite) and run by that worker's run_task, which records success or failure.
The loop sleeps only after a round that ran nothing.
"""

import logging
import threading

from django.db import OperationalError, close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as QueueWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from egisz.common.jobs.scheduler import queue_due_jobs

logger = logging.getLogger(__name__)

IDLE_SECONDS = 1.0


class Worker:
    def __init__(
        self,
        *,
        idle_seconds: float = IDLE_SECONDS,
        stop: threading.Event | None = None,
        close_connections: bool = False,
    ):
        self.idle_seconds = idle_seconds
        self.stop = stop if stop is not None else threading.Event()
        # A thread inside a web process closes its connections after every round instead of
        # keeping them between rounds as a dedicated worker process does.
        self.close_connections = close_connections
        self.queue = QueueWorker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )

    def request_stop(self) -> None:
        """The task in progress finishes; no other task starts."""
        self.stop.set()
        self.queue.running = False

    def run(self) -> None:
        """Run rounds until stopped."""
        while not self.stop.is_set():
            self._release_connections()
            processed = self.run_round()
            self._release_connections()
            if processed == 0:
                self.stop.wait(self.idle_seconds)

    def run_round(self) -> int:
        """Queue the due periodic jobs, run every queued task; returns how many ran."""
        try:
            queue_due_jobs()
        except Exception:
            # The queued tasks still run; scheduling is tried again next round.
            logger.exception("worker: periodic jobs could not be queued")
        self.queue.running = True
        if self.stop.is_set():  # request_stop may have come before the line above
            return 0
        ran = 0
        while self.queue.running:
            task_result = self._claim_task()
            if task_result is None:
                break
            # django-tasks-db runs it and records success or failure (with the traceback).
            self.queue.run_task(task_result)
            ran += 1
        return ran

    def _claim_task(self) -> DBTaskResult | None:
        ready = DBTaskResult.objects.ready().filter(backend_name=self.queue.backend_name)
        try:
            with exclusive_transaction(ready.db):
                task_result = ready.get_locked()
                if task_result is not None:
                    task_result.claim(self.queue.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None  # SQLite busy with another writer: next round
            raise
        return task_result

    def _release_connections(self) -> None:
        if self.close_connections:
            connections.close_all()
        else:
            close_old_connections()
