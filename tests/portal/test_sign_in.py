"""Signing in to the portal: passwords, invitations, resets, two factors, lock-out, staff."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from engagements import services
from engagements.models import SponsorMembership
from tests.factories import PASSWORD, ContactFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, email, password=PASSWORD):
    return client.post(reverse("portal:login"), {"username": email, "password": password})


def test_a_member_signs_in_and_lands_on_the_dashboard(client, member):
    response = _login(client, member.user.email)
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert member.sponsor.name in page


def test_a_wrong_password_is_refused_with_a_message(client, member):
    response = _login(client, member.user.email, "not-the-password")
    assert response.status_code == 200
    assert "e-mail address and password do not match an account" in response.content.decode()


def test_staff_cannot_use_the_portal(client, account_manager):
    response = _login(client, account_manager.email)
    assert "This is a staff account" in response.content.decode()
    client.force_login(account_manager)
    assert client.get(reverse("portal:dashboard")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_signing_out_needs_a_post(member_client):
    assert member_client.get(reverse("portal:logout")).status_code == 405
    member_client.post(reverse("portal:logout"))
    assert member_client.get(reverse("portal:dashboard")).status_code == 302


def test_repeated_failures_lock_the_account_out(client, member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, member.user.email, "wrong")
    locked = _login(client, member.user.email)  # even the right password, during the cool-off
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()


def test_an_invited_contact_sets_a_password_once_with_the_emailed_link(
    client, account_manager, django_capture_on_commit_callbacks
):
    contact = ContactFactory(first_name="Ines", email="ines@sponsor.example")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.invite_to_portal(contact=contact, by=account_manager)
    assert membership.sponsor == contact.sponsor
    message = mail.outbox[0]
    assert message.to == ["ines@sponsor.example"] and "Dear Ines" in message.body
    link = re.search(r"http://\S+/portal/password-reset/\S+/", message.body).group(0)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    form = client.get(path, follow=True)
    assert "Choose your password" in form.content.decode()
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Tr1als-and-Err0rs", "new_password2": "Tr1als-and-Err0rs"},
    )
    assert _login(client, "ines@sponsor.example", "Tr1als-and-Err0rs").status_code == 302
    again = client.get(path, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_inviting_a_staff_address_is_refused(account_manager):
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError):
        services.invite_to_portal(contact=ContactFactory(email=account_manager.email))
    assert not SponsorMembership.objects.exists()


def test_password_reset_emails_a_link_to_members_only(client, member, account_manager):
    client.post(reverse("portal:password_reset"), {"email": member.user.email})
    client.post(reverse("portal:password_reset"), {"email": account_manager.email})
    assert [m.to for m in mail.outbox] == [[member.user.email]]
    assert "/portal/password-reset/" in mail.outbox[0].body


def test_two_factor_can_be_made_mandatory_per_sponsor(client, member, django_capture_on_commit_callbacks):
    member.sponsor.require_two_factor = True
    member.sponsor.save()
    client.force_login(member.user)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302 and reverse("portal:two_factor_setup") in response["Location"]
    page = client.get(reverse("portal:two_factor_setup")).content.decode()
    assert "<svg" not in page and "E-mail me a set-up link" in page  # the password alone enrols nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:two_factor_setup"), {"action": "send_link"})
    (link,) = re.findall(r"http://\S+/portal/two-factor/enrol/\S+/", mail.outbox[-1].body)
    client.get(urlsplit(link).path)
    page = client.get(reverse("portal:two_factor_setup")).content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=member.user, confirmed=False)
    refused = client.post(reverse("portal:two_factor_setup"), {"token": "000000"})
    assert "That code is not valid" in refused.content.decode()
    device.throttle_reset()  # django-otp slows down guessing: the member waits a moment
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client.post(reverse("portal:two_factor_setup"), {"token": code})
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_a_member_with_a_device_must_enter_a_code_after_password(client, member):
    device = TOTPDevice.objects.create(user=member.user, name="phone", confirmed=True)
    client.force_login(member.user)
    response = client.get(reverse("portal:dashboard"))
    assert reverse("portal:two_factor_verify") in response["Location"]
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client.post(reverse("portal:two_factor_verify"), {"token": code})
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_two_factor_can_be_required_for_everyone(client, member, settings):
    settings.PORTAL_REQUIRE_2FA = True
    client.force_login(member.user)
    assert reverse("portal:two_factor_setup") in client.get(reverse("portal:dashboard"))["Location"]


def test_a_member_of_several_sponsors_chooses_explicitly(client):
    user = UserFactory()
    first, second = MembershipFactory(user=user), MembershipFactory(user=user)
    client.force_login(user)
    response = client.get(reverse("portal:dashboard"))
    assert reverse("portal:switch_sponsor") in response["Location"]
    client.post(reverse("portal:switch_sponsor"), {"sponsor": str(second.sponsor_id)})
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert second.sponsor.name in page and "Switch organisation" in page
    client.post(reverse("portal:switch_sponsor"), {"sponsor": str(first.sponsor_id)})
    assert first.sponsor.name in client.get(reverse("portal:dashboard")).content.decode()


def test_choosing_a_sponsor_one_does_not_belong_to_is_refused(client, member, other_sponsor):
    client.force_login(member.user)
    response = client.post(reverse("portal:switch_sponsor"), {"sponsor": str(other_sponsor.pk)})
    assert "Choose one of the organisations listed" in response.content.decode()
    assert other_sponsor.name not in client.get(reverse("portal:dashboard")).content.decode()


def test_a_user_without_membership_sees_no_access(client):
    client.force_login(UserFactory())
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 403
    assert "no organisation" in response.content.decode()
