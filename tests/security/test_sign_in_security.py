"""Second factor for staff, lock-outs on every door, API-key misuse."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import enrolment
from core.models import ApiKey
from tests.factories import PASSWORD, UserFactory, api_client, api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_factor_on(settings):
    settings.ADMIN_REQUIRE_2FA = True


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _password_login(client, user):
    return client.post(reverse("admin:login"), {"username": user.email, "password": PASSWORD})


def test_staff_need_a_second_factor_to_reach_the_admin(client, account_manager, second_factor_on):
    _password_login(client, account_manager)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 302
    two_factor = client.get(index["Location"], follow=True)
    assert two_factor.redirect_chain[-1][0].startswith(reverse("admin:two_factor"))
    page = two_factor.content.decode()
    assert "scanning this code" not in page and "E-mail me a set-up link" in page
    assert client.get(reverse("admin:engagements_sponsor_changelist")).status_code == 302
    path = enrolment.hand_over(user=account_manager, by=UserFactory(is_staff=True, is_superuser=True))
    client.get(path)
    page = client.get(reverse("admin:two_factor")).content.decode()
    assert "scanning this code" in page and "<svg" in page
    device = TOTPDevice.objects.get(user=account_manager)
    client.post(reverse("admin:two_factor"), {"token": "123456"})
    device.throttle_reset()
    client.post(reverse("admin:two_factor"), {"token": _code(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    assert TOTPDevice.objects.get(user=account_manager).confirmed


def test_enrolled_staff_enter_their_code_after_the_password(client, account_manager, second_factor_on):
    device = TOTPDevice.objects.create(user=account_manager, name="phone", confirmed=True)
    _password_login(client, account_manager)
    page = client.get(reverse("admin:two_factor")).content.decode()
    assert "Enter the six-digit code" in page and "scanning this code" not in page
    wrong = client.post(reverse("admin:two_factor"), {"token": "000000"})
    assert "That code is not valid" in wrong.content.decode()
    device.throttle_reset()
    client.post(reverse("admin:two_factor"), {"token": _code(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_portal_member_cannot_use_the_admin_second_factor_page(client, member_client):
    assert member_client.get(reverse("admin:two_factor")).status_code == 302


def test_admin_sign_in_locks_out_after_repeated_failures(client, account_manager, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": account_manager.email, "password": "wrong"})
    locked = _password_login(client, account_manager)
    assert locked.status_code == 429


def test_repeated_bad_api_keys_lock_the_address_out(settings):
    settings.API_KEY_FAILURE_LIMIT = 3
    _, good = api_key()
    for _ in range(3):
        assert api_client("wrongprefix.nothing").get("/api/v1/sponsors/").status_code == 401
    refused = api_client("wrongprefix.nothing").get("/api/v1/sponsors/")
    assert refused.status_code == 429
    assert "Too many invalid API keys" in refused.json()["error"]["message"]
    # A valid key behind the same address (a shared NAT or proxy) is not locked out by them.
    assert api_client(good).get("/api/v1/sponsors/").status_code == 200
    elsewhere = api_client("wrongprefix.nothing").get("/api/v1/sponsors/", REMOTE_ADDR="10.1.2.3")
    assert elsewhere.status_code == 401


def test_api_keys_can_expire_and_be_revoked_for_good():
    from django.core.exceptions import ValidationError

    key, raw = api_key()
    assert api_client(raw).get("/api/v1/sponsors/").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(expiry_date=timezone.now() - timedelta(minutes=1))
    assert api_client(raw).get("/api/v1/sponsors/").status_code == 401

    ApiKey.objects.filter(pk=key.pk).update(expiry_date=None, revoked=True)
    assert api_client(raw).get("/api/v1/sponsors/").status_code == 401
    key = ApiKey.objects.get(pk=key.pk)
    key.revoked = False
    with pytest.raises(ValidationError):
        key.save()
    assert ApiKey.objects.get(pk=key.pk).revoked is True


@pytest.fixture
def member_client(client):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory().user)
    return client
