"""Races on PostgreSQL for the cabinet's row-lock tests."""

import threading

import pytest
from django.db import connection, connections

# Module-level marks of a race test file: real transactions, PostgreSQL only.
POSTGRES_RACE = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]


def race(*calls):
    """Runs the calls in threads released together; returns what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # the outcome is the result
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def wait_until_blocked_on_a_row_lock(timeout: float = 10.0) -> None:
    """Returns once another connection of this database waits for a row lock (polling
    PostgreSQL's own view of its backends); fails after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction PostgreSQL keeps one snapshot of its statistics views.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("no request waited for the row lock")


def in_thread(call):
    """Starts ``call`` in a thread; returns a function that joins it and gives its result."""
    result = {}

    def run():
        try:
            result["value"] = call()
        except Exception as error:
            result["value"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()

    def join():
        thread.join(timeout=30)
        return result.get("value")

    return join
