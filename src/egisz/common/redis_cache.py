"""Django's Redis cache, reusing one client per connection pool.

Django's RedisCacheClient builds a new ``redis.Redis`` object for every cache call; with
redis-py 8 that construction costs more than the command itself, and a login makes a dozen
cache calls (throttle counters, session). The clients are thread-safe and share the pool,
so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledClientRedisCacheClient
