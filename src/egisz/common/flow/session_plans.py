"""A half-finished flow (a login, a recovery) kept in its browser's session between steps.

A plan is a dataclass with a ``started_at`` (ISO time) field; a ``SessionPlan`` stores it
under one session key and discards it once older than its time to live. Every step reads
it with ``load`` and writes it back with ``save``; the flow's end ``clear``s it.
"""

from dataclasses import asdict
from datetime import datetime, timedelta

from django.utils import timezone


def now_iso() -> str:
    return timezone.now().isoformat()


class SessionPlan:
    def __init__(self, key: str, plan_class: type, ttl: timedelta, *, extra_keys=()):
        self.key = key
        self.plan_class = plan_class
        self.ttl = ttl
        # Other session keys that belong to the plan and go with it.
        self.extra_keys = tuple(extra_keys)

    def save(self, request, plan) -> None:
        request.session[self.key] = asdict(plan)

    def load_or_expired(self, request):
        """(the plan, False), or (None, True) when one was there but is too old, or
        (None, False) when there is none (or it cannot be read)."""
        raw = request.session.get(self.key)
        if not isinstance(raw, dict):
            return None, False
        try:
            plan = self.plan_class(**raw)
            expired = timezone.now() - datetime.fromisoformat(plan.started_at) > self.ttl
        except (TypeError, ValueError):
            self.clear(request)
            return None, False
        if expired:
            self.clear(request)
            return None, True
        return plan, False

    def load(self, request):
        return self.load_or_expired(request)[0]

    def clear(self, request) -> None:
        for key in (self.key, *self.extra_keys):
            request.session.pop(key, None)
