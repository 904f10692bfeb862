"""A password alone opens nothing: every surface that accepts a session (the admin, the portal
and the API's session authentication) accepts only one that passed its second factor where one
is required, and sessions end after a time without activity."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.factories import PASSWORD, MembershipFactory, SponsorFactory

pytestmark = pytest.mark.django_db


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _password_only(user, *, path="admin:login") -> APIClient:
    client = APIClient(enforce_csrf_checks=False)
    response = client.post(reverse(path), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _verified(client, user, *, path="admin:two_factor"):
    device = TOTPDevice.objects.get_or_create(user=user, name="phone", defaults={"confirmed": True})[0]
    response = client.post(reverse(path), {"token": _code(device)})
    assert response.status_code == 302
    return client


@pytest.fixture
def second_factor_on(settings):
    settings.ADMIN_REQUIRE_2FA = True


@pytest.fixture
def enrolled_manager(account_manager):
    TOTPDevice.objects.create(user=account_manager, name="phone", confirmed=True)
    return account_manager


def test_staff_password_session_reads_nothing_through_the_api(second_factor_on, enrolled_manager):
    SponsorFactory()
    client = _password_only(enrolled_manager)
    response = client.get("/api/v1/sponsors/")
    assert response.status_code in (401, 403)
    assert "two-factor" in response.json()["error"]["message"]


def test_staff_password_session_cannot_register_a_webhook(second_factor_on, enrolled_manager):
    from core.models import WebhookEndpoint

    client = _password_only(enrolled_manager)
    response = client.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://hooks.example.com/in", "events": ["assessment.submitted"]},
        format="json",
    )
    assert response.status_code in (401, 403)
    assert not WebhookEndpoint.objects.exists()


def test_staff_session_reads_the_api_once_verified(second_factor_on, enrolled_manager):
    SponsorFactory()
    client = _verified(_password_only(enrolled_manager), enrolled_manager)
    assert client.get("/api/v1/sponsors/").status_code == 200


def test_portal_member_of_a_two_factor_sponsor_needs_the_code_for_the_api():
    membership = MembershipFactory(sponsor=SponsorFactory(require_two_factor=True))
    TOTPDevice.objects.create(user=membership.user, name="phone", confirmed=True)
    client = _password_only(membership.user, path="portal:login")
    refused = client.get("/api/v1/engagements/")
    assert refused.status_code in (401, 403)
    _verified(client, membership.user, path="portal:two_factor_verify")
    assert client.get("/api/v1/engagements/").status_code == 200


def test_two_factor_sponsor_counts_even_when_the_member_works_for_another(settings):
    """A member of two sponsors, one of which requires a second factor, cannot read that one's
    data with a password alone by choosing the other sponsor first."""
    relaxed = MembershipFactory()
    MembershipFactory(user=relaxed.user, sponsor=SponsorFactory(require_two_factor=True))
    client = _password_only(relaxed.user, path="portal:login")
    assert client.get("/api/v1/engagements/").status_code in (401, 403)


def test_portal_member_without_a_second_factor_requirement_uses_the_api_session():
    membership = MembershipFactory()
    client = _password_only(membership.user, path="portal:login")
    assert client.get("/api/v1/engagements/").status_code == 200


# --- idle sessions --------------------------------------------------------------------------


def test_admin_session_ends_after_the_idle_time(settings, am_client):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert am_client.get(reverse("admin:index")).status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=29), tick=False):
        assert am_client.get(reverse("admin:index")).status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=29 + 31), tick=False):
        response = am_client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_activity_keeps_the_session_alive(settings, am_client):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    start = timezone.now()
    for minutes in range(0, 121, 20):
        with time_machine.travel(start + timezone.timedelta(minutes=minutes), tick=False):
            assert am_client.get(reverse("admin:index")).status_code == 200


def test_portal_session_ends_after_the_idle_time_and_returns_to_the_page(settings, client):
    settings.SESSION_IDLE_TIMEOUT = 10 * 60
    membership = MembershipFactory()
    client.force_login(membership.user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get(reverse("portal:dashboard")).status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=11), tick=False):
        response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert "next=" in response["Location"]


def test_api_session_ends_after_the_idle_time(settings, account_manager):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    client = APIClient()
    client.force_login(account_manager)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get("/api/v1/sponsors/").status_code == 200
    with time_machine.travel(start + timezone.timedelta(minutes=6), tick=False):
        assert client.get("/api/v1/sponsors/").status_code in (401, 403)
