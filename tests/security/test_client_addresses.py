"""Lock-outs behind proxies: one helper reads the client address that PROXY_COUNT describes, for
django-axes, the API-key lock-out, the password-spraying limit and the security log."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.client_ip import client_ip
from tests.factories import PASSWORD, UserFactory, api_client, api_key

pytestmark = pytest.mark.django_db


def _request(remote="10.0.0.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, "10.0.0.1"),
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy configured: the header is the client's word
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged entry on the left is ignored
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer hops than configured: the socket address
        (1, None, "10.0.0.1"),
    ],
)
def test_client_address_follows_the_proxy_count(settings, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    assert client_ip(_request(forwarded=forwarded)) == expected


def test_axes_locks_the_forwarded_client_not_the_proxy(client, settings):
    settings.PROXY_COUNT = 1
    victim = UserFactory(is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("admin:login"),
            {"username": victim.email, "password": "wrong"},
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
    locked = client.post(
        reverse("admin:login"),
        {"username": victim.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert locked.status_code == 429
    # Another client behind the same proxy (same REMOTE_ADDR) is not locked out.
    other = client.post(
        reverse("admin:login"),
        {"username": victim.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert other.status_code == 302


def test_bad_api_keys_lock_the_forwarded_client_only(settings):
    settings.PROXY_COUNT = 1
    settings.API_KEY_FAILURE_LIMIT = 2
    for _ in range(2):
        api_client("wrongpfx.nothing").get("/api/v1/sponsors/", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert (
        api_client("wrongpfx.nothing")
        .get("/api/v1/sponsors/", HTTP_X_FORWARDED_FOR="198.51.100.1")
        .status_code
        == 429
    )
    assert (
        api_client("wrongpfx.nothing")
        .get("/api/v1/sponsors/", HTTP_X_FORWARDED_FOR="198.51.100.2")
        .status_code
        == 401
    )


def test_a_valid_key_is_not_locked_out_by_another_clients_bad_keys(settings):
    settings.API_KEY_FAILURE_LIMIT = 2
    _, good = api_key()
    for _ in range(3):
        api_client("wrongpfx.nothing").get("/api/v1/sponsors/")
    assert api_client("wrongpfx.nothing").get("/api/v1/sponsors/").status_code == 429
    assert api_client(good).get("/api/v1/sponsors/").status_code == 200


@pytest.mark.parametrize("door", ["admin:login", "portal:login"])
def test_password_spraying_across_user_names_locks_the_address(client, settings, door):
    settings.ADDRESS_FAILURE_LIMIT = 4
    staff = door == "admin:login"
    targets = [UserFactory(is_staff=staff) for _ in range(5)]
    for user in targets[:4]:  # one attempt per user name: axes' per-name limit never trips
        response = client.post(reverse(door), {"username": user.email, "password": "Spring2026!"})
        assert response.status_code == 200
    refused = client.post(reverse(door), {"username": targets[4].email, "password": PASSWORD})
    assert refused.status_code == 200  # the form again, with the reason, and no sign-in
    assert "Too many failed sign-ins have come from your network" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    elsewhere = client.post(
        reverse(door), {"username": targets[4].email, "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert elsewhere.status_code == 302
