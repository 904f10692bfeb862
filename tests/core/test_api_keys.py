"""API keys: hashed, shown once, revocable, expiring, scoped, with last-used time and a rate limit."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.api.throttling import PrincipalRateThrottle
from core.models import ApiKey
from tests.factories import SponsorFactory, api_client, api_key

pytestmark = pytest.mark.django_db


def test_keys_are_stored_hashed():
    key, raw = api_key()
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in (stored.hashed_key, stored.id)
    assert raw.startswith(stored.prefix + ".")
    assert stored.hashed_key.startswith("sha512$$")


def test_valid_key_authenticates_and_records_last_use():
    key, raw = api_key()
    assert api_client(raw).get("/api/v1/sponsors/").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"revoked": True}, "revoked"),
        ({"expiry_date": timezone.now() - timedelta(minutes=1)}, "expired"),
    ],
)
def test_revoked_and_expired_keys_are_refused(change, message):
    key, raw = api_key()
    ApiKey.objects.filter(pk=key.pk).update(**change)
    response = api_client(raw).get("/api/v1/sponsors/")
    assert response.status_code == 401
    assert message in response.json()["error"]["message"]


@pytest.mark.parametrize("header", ["Api-Key nonsense", "Api-Key abc.def", "Api-Key ", "Api-Key a b"])
def test_bad_keys_are_refused(client, header):
    response = client.get("/api/v1/sponsors/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"authentication_failed", "not_authenticated"}


def test_a_sponsor_key_needs_a_sponsor_and_a_staff_key_must_not_have_one():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.create_key(name="bad", scope="sponsor", sponsor=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.create_key(name="bad", scope="staff", sponsor=SponsorFactory())


def test_admin_shows_a_new_key_once(client, superuser):
    client.force_login(superuser)
    sponsor = SponsorFactory()
    response = client.post(
        reverse("admin:core_apikey_add"),
        {"name": "CTMS sync", "scope": "sponsor", "sponsor": sponsor.pk},
        follow=True,
    )
    page = response.content.decode()
    key = ApiKey.objects.get(name="CTMS sync")
    shown = re.search(rf"is: ({re.escape(key.prefix)}\.\w+)", page).group(1)
    assert "will not be able to see it again" in page
    assert key.is_valid(shown)
    assert key.created_by == superuser
    later = client.get(reverse("admin:core_apikey_change", args=[key.pk])).content.decode()
    assert shown not in later


def _clock(monkeypatch, at: float) -> None:
    monkeypatch.setattr(PrincipalRateThrottle, "timer", lambda self: at)


def test_each_key_has_its_own_request_budget(monkeypatch):
    monkeypatch.setattr(PrincipalRateThrottle, "rate", "3/minute", raising=False)
    _clock(monkeypatch, 1_800_000_000.0)  # the start of a minute
    busy, calm = api_client(api_key(name="busy")[1]), api_client(api_key(name="calm")[1])
    codes = [busy.get("/api/v1/catalogs/regions/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = busy.get("/api/v1/catalogs/regions/")
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) == 60
    assert calm.get("/api/v1/catalogs/regions/").status_code == 200


def test_the_budget_is_counted_per_window_and_renews_with_the_next(monkeypatch):
    monkeypatch.setattr(PrincipalRateThrottle, "rate", "2/minute", raising=False)
    client = api_client(api_key()[1])
    _clock(monkeypatch, 1_800_000_015.0)
    assert [client.get("/api/v1/catalogs/regions/").status_code for _ in range(3)] == [200, 200, 429]
    _clock(monkeypatch, 1_800_000_050.0)  # same minute: still refused, and told when it ends
    refused = client.get("/api/v1/catalogs/regions/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 10
    _clock(monkeypatch, 1_800_000_060.0)
    assert client.get("/api/v1/catalogs/regions/").status_code == 200


def test_the_budget_holds_on_a_cache_without_redis(monkeypatch, settings):
    """Development runs on the file cache: the throttle counts through Django's cache API there."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(PrincipalRateThrottle, "rate", "2/minute", raising=False)
    _clock(monkeypatch, 1_800_000_000.0)
    client = api_client(api_key()[1])
    assert [client.get("/api/v1/catalogs/regions/").status_code for _ in range(3)] == [200, 200, 429]
    _clock(monkeypatch, 1_800_000_060.0)
    assert client.get("/api/v1/catalogs/regions/").status_code == 200


@pytest.mark.redis
def test_a_window_counter_expires_on_redis(monkeypatch):
    """One round trip counts and sets the counter's expiry: no counter outlives two windows."""
    from django.core.cache import caches
    from rest_framework.test import APIRequestFactory

    from core.api.auth import KeyActor

    monkeypatch.setattr(PrincipalRateThrottle, "rate", "5/minute", raising=False)
    _clock(monkeypatch, 1_800_000_000.0)
    key = api_key()[0]
    request = APIRequestFactory().get("/api/v1/catalogs/regions/")
    request.user = KeyActor(key)
    throttle = PrincipalRateThrottle()
    assert [throttle.allow_request(request, None) for _ in range(6)] == [True] * 5 + [False]
    backend = caches["default"]
    counter = backend.make_and_validate_key(f"throttle_principal_key:{key.prefix}:{1_800_000_000 // 60}")
    redis = backend._cache.get_client(write=True)
    assert int(redis.get(counter)) == 6
    assert 0 < redis.ttl(counter) <= 120


@pytest.mark.redis
def test_concurrent_requests_are_each_counted(monkeypatch):
    """The counter is one atomic increment: requests in parallel threads cannot overwrite each other."""
    from concurrent.futures import ThreadPoolExecutor

    from rest_framework.test import APIRequestFactory

    from core.api.auth import KeyActor

    monkeypatch.setattr(PrincipalRateThrottle, "rate", "10/minute", raising=False)
    _clock(monkeypatch, 1_800_000_000.0)
    request = APIRequestFactory().get("/api/v1/catalogs/regions/")
    request.user = KeyActor(api_key()[0])

    def attempt(_):
        return PrincipalRateThrottle().allow_request(request, None)

    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = list(pool.map(attempt, range(40)))
    assert allowed.count(True) == 10


# --- The cached key row ------------------------------------------------------------------------


def _cached_key(django_assert_num_queries):
    """A key whose row authentication has cached: the second request reads it from the cache."""
    from django.core.cache import cache

    from core.models import api_key_cache_key

    key, raw = api_key()
    cache.delete(api_key_cache_key(key.prefix))  # as if the marker of its creation had expired
    client = api_client(raw)
    assert client.get("/api/v1/catalogs/regions/").status_code == 200  # reads the row and caches it
    with django_assert_num_queries(1):  # the page's statement only: no key row
        assert client.get("/api/v1/catalogs/regions/").status_code == 200
    return key, client


def test_the_key_row_is_cached_between_requests(django_assert_num_queries):
    _cached_key(django_assert_num_queries)


def test_a_new_key_is_not_cached_until_its_change_marker_expires(django_assert_num_queries):
    """Creation marks the prefix stale: a request that read an older row could not cache it."""
    client = api_client(api_key()[1])
    assert client.get("/api/v1/catalogs/regions/").status_code == 200  # also records the first use
    with django_assert_num_queries(2):  # the key row again, then the page
        assert client.get("/api/v1/catalogs/regions/").status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda key: ApiKey.objects.filter(pk=key.pk).update(revoked=True), "revoked"),
        (lambda key: ApiKey.objects.filter(pk=key.pk).update(expiry_date=timezone.now()), "expired"),
        (lambda key: ApiKey.objects.bulk_update([_revoked(key)], ["revoked"]), "revoked"),
        (lambda key: _revoked(key).save(), "revoked"),
        (lambda key: ApiKey.objects.filter(pk=key.pk).delete(), "Invalid API key"),
        (lambda key: key.delete(), "Invalid API key"),
    ],
    ids=["update-revoked", "update-expiry", "bulk_update", "save", "queryset-delete", "delete"],
)
def test_a_change_to_a_cached_key_counts_from_the_next_request(django_assert_num_queries, change, message):
    key, client = _cached_key(django_assert_num_queries)
    change(key)
    response = client.get("/api/v1/catalogs/regions/")
    assert response.status_code == 401
    assert message in response.json()["error"]["message"]


def _revoked(key):
    key.revoked = True
    return key


def test_deleting_the_sponsor_drops_its_cached_keys(django_assert_num_queries, superuser):
    """The cascade deletes the keys one by one (their signal), so no cached copy outlives them."""
    from django.core.cache import cache

    from core.models import api_key_cache_key

    sponsor = SponsorFactory()
    key, raw = api_key(sponsor=sponsor)
    cache.delete(api_key_cache_key(key.prefix))
    client = api_client(raw)
    assert client.get("/api/v1/sponsors/").status_code == 200
    sponsor.delete()
    assert client.get("/api/v1/sponsors/").status_code == 401


def test_recording_the_last_use_keeps_the_cached_row(django_assert_num_queries):
    """The last-use update is authentication's own and does not mark the key stale."""
    key, client = _cached_key(django_assert_num_queries)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(hours=1))
    with django_assert_num_queries(1):
        assert client.get("/api/v1/catalogs/regions/").status_code == 200


def test_authentication_works_with_the_cache_down(monkeypatch):
    """The cache is an optimisation: with it unreachable every request reads the key row."""
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    key, raw = api_key()
    for name in ("get_many", "add", "set_many", "get", "incr", "set"):
        monkeypatch.setattr(cache, name, down)
    # The counters go to Redis directly (core.cache.increment): down too, for the throttle.
    monkeypatch.setattr("core.api.throttling.increment", down)
    monkeypatch.setattr("core.api.auth.increment", down)
    client = api_client(raw)
    assert client.get("/api/v1/catalogs/regions/").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(revoked=True)
    assert client.get("/api/v1/catalogs/regions/").status_code == 401
