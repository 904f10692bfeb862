"""First enrolment of a second factor needs a second proof: a one-time set-up link, e-mailed to
the person or handed over by an administrator; expiring, single use, for its own account only,
and audited."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import enrolment
from core.models import EnrolmentLink
from tests.factories import PASSWORD, MembershipFactory, SponsorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.ADMIN_REQUIRE_2FA = True


@pytest.fixture
def administrator(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _code(device) -> str:
    device.throttle_reset()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _sign_in(client, user):
    response = client.post(reverse("admin:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST that sends e-mail: the outbox hands the work over when the transaction commits."""

    def post(client, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(*args, **kwargs)

    return post


def _emailed_path(index=-1) -> str:
    (url,) = re.findall(r"https?://\S+/two-factor/enrol/\S+/", mail.outbox[index].body)
    return urlsplit(url).path


def test_password_alone_shows_no_qr_code_and_creates_no_device(client, account_manager):
    _sign_in(client, account_manager)
    page = client.get(reverse("admin:two_factor")).content.decode()
    assert "Cannot scan it?" not in page and "E-mail me a set-up link" in page
    refused = client.post(reverse("admin:two_factor"), {"token": "123456"})
    assert refused.status_code == 200
    assert not TOTPDevice.objects.filter(user=account_manager).exists()
    assert client.get(reverse("admin:index")).status_code == 302


def test_emailed_link_enrols_once_and_opens_the_admin(client, account_manager, send):
    _sign_in(client, account_manager)
    send(client, reverse("admin:two_factor"), {"action": "send_link"})
    assert [m.to for m in mail.outbox] == [[account_manager.email]]
    path = _emailed_path()
    assert EnrolmentLink.objects.get(user=account_manager).token_hash not in path  # only a hash is kept
    client.get(path)
    page = client.get(reverse("admin:two_factor")).content.decode()
    assert "Cannot scan it?" in page
    device = TOTPDevice.objects.get(user=account_manager, confirmed=False)
    client.post(reverse("admin:two_factor"), {"token": _code(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    link = EnrolmentLink.objects.get(user=account_manager)
    assert link.used_at is not None
    # The same link cannot enrol again, in this session or another: the other session is asked
    # for the existing authenticator's code, never shown a new QR code.
    other = _sign_in(type(client)(), account_manager)
    other.get(path)
    page = other.get(reverse("admin:two_factor")).content.decode()
    assert "Enter the six-digit code" in page and "Cannot scan it?" not in page
    assert TOTPDevice.objects.filter(user=account_manager).count() == 1
    assert enrolment.usable_link(path.rstrip("/").rsplit("/", 1)[1]) is None


def test_link_opened_before_signing_in_waits_for_the_password(client, account_manager, administrator):
    path = enrolment.hand_over(user=account_manager, by=administrator)
    response = client.get(path)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert "enrol" not in response["Location"]  # the token travels in no further URL
    _sign_in(client, account_manager)
    assert "Cannot scan it?" in client.get(reverse("admin:two_factor")).content.decode()


def test_a_link_works_only_for_its_own_account(client, account_manager, administrator):
    path = enrolment.hand_over(user=UserFactory(is_staff=True), by=administrator)
    _sign_in(client, account_manager)
    client.get(path)
    page = client.get(reverse("admin:two_factor"))
    assert page.status_code == 400
    assert "cannot be used" in page.content.decode() and "Cannot scan it?" not in page.content.decode()


def test_an_expired_link_is_refused(client, account_manager, administrator):
    path = enrolment.hand_over(user=account_manager, by=administrator)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        _sign_in(client, account_manager)
        client.get(path)
        page = client.get(reverse("admin:two_factor")).content.decode()
    assert "cannot be used" in page and "Cannot scan it?" not in page


def test_a_newer_link_replaces_the_older_one(client, account_manager, administrator):
    first = enrolment.hand_over(user=account_manager, by=administrator)
    enrolment.hand_over(user=account_manager, by=administrator)
    _sign_in(client, account_manager)
    client.get(first)
    assert "cannot be used" in client.get(reverse("admin:two_factor")).content.decode()


def test_an_unknown_token_is_refused_without_a_server_error(client, account_manager):
    _sign_in(client, account_manager)
    for token in ["x", "A" * 300, "%00"]:
        client.get(f"/admin/two-factor/enrol/{token}/")
        assert client.get(reverse("admin:two_factor")).status_code in (400, 200)


def test_asking_twice_within_minutes_sends_one_email(client, account_manager, send):
    _sign_in(client, account_manager)
    send(client, reverse("admin:two_factor"), {"action": "send_link"})
    send(client, reverse("admin:two_factor"), {"action": "send_link"})
    assert len(mail.outbox) == 1


def test_only_administrators_hand_over_links(account_manager):
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError):
        enrolment.hand_over(user=UserFactory(is_staff=True), by=account_manager)


def test_admin_action_shows_the_link_once(client, administrator, account_manager):
    from django_otp.plugins.otp_totp.models import TOTPDevice as Device

    client.force_login(administrator)
    device = Device.objects.create(user=administrator, name="phone", confirmed=True)
    client.post(reverse("admin:two_factor"), {"token": _code(device)})
    response = client.post(
        reverse("admin:core_user_changelist"),
        {"action": "hand_over_enrolment_link", "_selected_action": [account_manager.pk]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert re.search(r"/admin/two-factor/enrol/\S+/", response.content.decode())
    assert EnrolmentLink.objects.filter(user=account_manager, created_by=administrator).count() == 1


def test_reset_two_factor_removes_devices_and_emails_a_link(client, administrator, account_manager, send):
    TOTPDevice.objects.create(user=account_manager, name="lost phone", confirmed=True)
    device = TOTPDevice.objects.create(user=administrator, name="phone", confirmed=True)
    client.force_login(administrator)
    client.post(reverse("admin:two_factor"), {"token": _code(device)})
    send(
        client,
        reverse("admin:core_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [account_manager.pk]},
    )
    assert not TOTPDevice.objects.filter(user=account_manager).exists()
    assert mail.outbox[-1].to == [account_manager.email]


def test_portal_member_enrols_through_an_emailed_link(client, send):
    membership = MembershipFactory(sponsor=SponsorFactory(require_two_factor=True))
    response = client.post(reverse("portal:login"), {"username": membership.user.email, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("portal:two_factor_setup")).content.decode()
    assert "Cannot scan it?" not in page
    assert not TOTPDevice.objects.filter(user=membership.user).exists()
    send(client, reverse("portal:two_factor_setup"), {"action": "send_link"})
    client.get(_emailed_path())
    assert "Cannot scan it?" in client.get(reverse("portal:two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=membership.user)
    client.post(reverse("portal:two_factor_setup"), {"token": _code(device)})
    assert client.get(reverse("portal:dashboard")).status_code == 200


@pytest.mark.postgres
def test_enrolment_is_audited_without_the_token(client, account_manager, administrator):
    from core import audit

    path = enrolment.hand_over(user=account_manager, by=administrator)
    token = path.rstrip("/").rsplit("/", 1)[1]
    rows = audit.rows(audit.events(model=EnrolmentLink))
    assert rows and rows[0]["event"] == "created"
    assert token not in str(rows) and "token_hash" not in str(rows)


def test_management_command_prints_a_link_for_the_first_administrator(client, account_manager):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("two_factor_link", account_manager.email.upper(), stdout=out)
    (url,) = re.findall(r"https?://\S+/admin/two-factor/enrol/\S+/", out.getvalue())
    _sign_in(client, account_manager)
    client.get(urlsplit(url).path)
    assert "Cannot scan it?" in client.get(reverse("admin:two_factor")).content.decode()
    with pytest.raises(CommandError):
        call_command("two_factor_link", "nobody@example.org", stdout=StringIO())
