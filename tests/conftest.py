import os

import pytest
from django.conf import settings
from django.db import connection

from tests import factories

IN_CI = bool(os.environ.get("CI"))


def _redis_reachable() -> bool:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _require(condition: bool, what: str) -> None:
    """Skip when a real service is absent, but only outside CI: under CI a missing service fails."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI but is not configured or not reachable.", pytrace=False)
    pytest.skip(f"{what} is not available (set DATABASE_URL / REDIS_URL to run this test).")


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        _require(connection.vendor == "postgresql", "PostgreSQL")
    if item.get_closest_marker("redis"):
        _require(_redis_reachable(), "Redis")
    if item.get_closest_marker("app_role"):
        from core.db_roles import app_role

        _require(connection.vendor == "postgresql", "PostgreSQL")
        _require(app_role() is not None, "Separate owner and application roles (DATABASE_OWNER_URL)")


@pytest.fixture(autouse=True, scope="session")
def _cache_per_xdist_worker():
    """Parallel workers must not share cache keys: on Redis each gets its own key prefix; the
    embedded file cache (shared on disk, cleared by every test) becomes a per-worker memory cache."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        from django.test.signals import clear_cache_handlers

        default = settings.CACHES["default"]
        if default["BACKEND"].endswith("RedisCache"):
            default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', '')}-{worker}"
        else:
            settings.CACHES["default"] = {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": worker,
            }
        clear_cache_handlers(setting="CACHES")  # forget any connection made before this point
    yield


def _clear_cache() -> None:
    """Empty our cache keys only: on Redis, FLUSHDB would also drop queued Celery tasks."""
    from django.core.cache import cache

    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        client = cache._cache.get_client(write=True)
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _isolated_cache():
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture(autouse=True)
def _broker_not_known_down():
    """A test that took the broker down must not make later tests in the same process skip it
    (core.outbox remembers a failed hand-over for a few seconds)."""
    from core import outbox

    outbox._note_broker_up()
    yield
    outbox._note_broker_up()


@pytest.fixture(autouse=True)
def _admin_second_factor_off(settings):
    # Admin feature tests sign in with force_login; tests/security/test_sign_in_security.py turns
    # the second factor back on and checks it.
    settings.ADMIN_REQUIRE_2FA = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (see config/settings.py); tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def account_manager(db):
    return factories.AccountManagerFactory()


@pytest.fixture
def superuser(db):
    return factories.UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def am_client(client, account_manager):
    client.force_login(account_manager)
    return client


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_tasks_inline():
    """Unit tests run Celery tasks in-process; tests marked celery_worker use a real worker."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True, scope="session")
def _detect_n_plus_one():
    """django-zeal watches every request the tests make (admin, API, portal): a view that runs a
    query per row raises NPlusOneError instead of passing unnoticed."""
    from zeal.constants import initialize_app_registry
    from zeal.patch import patch

    initialize_app_registry()
    patch()
    settings.ZEAL_RAISE = True
    # The user change page loads two users by design: the one signed in and the one edited.
    # Signing in loads the session twice (Django rotates its key). A single object saved and then
    # shown reads its relations twice; three reads from one place is a real N+1.
    settings.ZEAL_ALLOWLIST = [
        {"model": "core.User", "field": "get()"},
        {"model": "sessions.Session", "field": "get()"},
    ]
    settings.ZEAL_NPLUSONE_THRESHOLD = 3
    if "zeal.middleware.zeal_middleware" not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = ["zeal.middleware.zeal_middleware", *settings.MIDDLEWARE]
    yield
