"""The Redis cache keeps one redis-py client per connection pool and behaves as Django's."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches

from core.cache import RedisCache

pytestmark = pytest.mark.redis


def test_the_cache_reuses_its_client_and_still_works():
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    assert backend._cache.get_client(write=True) is backend._cache.get_client(write=True)
    backend.set("reuse-check", {"a": 1}, 30)
    assert backend.get("reuse-check") == {"a": 1}
    assert backend.add("reuse-check-count", 0, 30)
    assert backend.incr("reuse-check-count") == 1
    assert backend.get("reuse-check-count") == 1


def test_one_shared_client_serves_threads_at_once():
    """Each command borrows a connection from the pool, so threads sharing the client never mix replies."""
    backend = caches["default"]
    client = backend._cache.get_client(write=True)
    keys = [backend.make_and_validate_key(f"thread-check-{n}") for n in range(40)]

    def round_trip(key):
        client.set(key, key, ex=30)
        return client.get(key).decode()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(round_trip, keys)) == keys
    client.delete(*keys)
