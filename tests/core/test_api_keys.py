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


def test_each_key_has_its_own_request_budget(monkeypatch):
    monkeypatch.setattr(PrincipalRateThrottle, "rate", "3/minute", raising=False)
    busy, calm = api_client(api_key(name="busy")[1]), api_client(api_key(name="calm")[1])
    codes = [busy.get("/api/v1/catalogs/regions/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = busy.get("/api/v1/catalogs/regions/")
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert calm.get("/api/v1/catalogs/regions/").status_code == 200
