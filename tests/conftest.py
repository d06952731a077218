"""Fixtures shared by the whole suite."""

import pytest

from egisz.common.request_meta import RequestMeta

BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)


@pytest.fixture
def meta():
    return RequestMeta(ip="203.0.113.7", user_agent=BROWSER_UA)


@pytest.fixture
def client(client):
    """Django's test client presenting itself as a current browser."""
    client.defaults["HTTP_USER_AGENT"] = BROWSER_UA
    return client


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Throttling lives in the cache: every test with a database starts with none.

    (The demo cache is a database table, so tests without database access skip this.)
    """
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if not uses_db:
        yield
        return
    from django.core.cache import cache

    if not request.node.get_closest_marker("django_db"):
        # Autouse fixtures run before the test's own: make sure the database is open.
        request.getfixturevalue(
            "transactional_db" if "transactional_db" in request.fixturenames else "db"
        )
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def field_key_ring(settings):
    """Configures the field-encryption key ring as EGISZ_FIELD_ENCRYPTION_KEYS would:
    ``field_key_ring(("2026b", key_b), ("2026a", key_a))``, the first key encrypting."""

    def use(*entries: tuple[str, str]) -> None:
        settings.FIELD_ENCRYPTION_KEYS = tuple(entries)

    return use
