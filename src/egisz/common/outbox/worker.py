"""The loop behind `egisz worker` and the delivery thread of `egisz serve-demo`.

Each round runs every callable named in settings.WORKER_TASKS (dotted paths, imported
afresh every round so a task that cannot be imported yet does not stop the others). A task
takes ``limit`` and returns how many items it processed; the loop sleeps only after a round
that found nothing to do.
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Small batches keep a stop request from waiting behind hundreds of slow deliveries.
DEFAULT_LIMIT = 20
IDLE_SECONDS = 1.0


class Worker:
    def __init__(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        idle_seconds: float = IDLE_SECONDS,
        stop: threading.Event | None = None,
        close_connections: bool = False,
    ):
        self.limit = limit
        self.idle_seconds = idle_seconds
        self.stop = stop if stop is not None else threading.Event()
        # A thread inside a web process closes its connections after every round instead of
        # keeping them between rounds as a dedicated worker process does.
        self.close_connections = close_connections
        self._unloadable: set[str] = set()

    def run(self) -> None:
        """Run rounds until ``stop`` is set."""
        while not self.stop.is_set():
            self._release_connections()
            processed = self.run_round()
            self._release_connections()
            if processed == 0:
                self.stop.wait(self.idle_seconds)

    def run_round(self) -> int:
        """Run each task once; returns how many items they processed together."""
        processed = 0
        for path in settings.WORKER_TASKS:
            if self.stop.is_set():
                break
            task = self._load(path)
            if task is None:
                continue
            try:
                processed += int(task(limit=self.limit) or 0)
            except Exception:
                logger.exception("worker: task %s failed; the other tasks go on", path)
        return processed

    def _load(self, path: str):
        try:
            task = import_string(path)
        except Exception:
            # Logged once per task, not every second, until it imports again.
            if path not in self._unloadable:
                self._unloadable.add(path)
                logger.exception("worker: cannot import task %s; skipping it", path)
            return None
        self._unloadable.discard(path)
        return task

    def _release_connections(self) -> None:
        if self.close_connections:
            connections.close_all()
        else:
            close_old_connections()
