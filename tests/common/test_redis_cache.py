import socket

import pytest

from egisz.common.redis_cache import PooledRedisCache

REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")


def test_the_pooled_cache_behaves_like_a_cache_and_reuses_its_client():
    cache = PooledRedisCache("redis://127.0.0.1:6379/7", {"KEY_PREFIX": "egisz-test"})
    cache.set("visits", 1, timeout=30)
    assert cache.incr("visits") == 2
    assert cache.add("visits", 5) is False
    assert cache.get("visits") == 2
    cache.delete("visits")
    assert cache.get("visits") is None
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
