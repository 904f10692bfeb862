"""The audit-trail page obeys permissions, answers bad parameters with 400, and pages."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.models import ApiKey
from engagements.models import Sponsor
from tests.factories import SponsorFactory, api_key

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
AUDIT = "admin:audit_trail"


def test_an_account_manager_without_api_key_access_sees_none_of_their_events(am_client, account_manager):
    key, _ = api_key(name="Secret integration")
    assert not account_manager.has_perm("core.view_apikey")
    everything = am_client.get(reverse(AUDIT)).content.decode()
    assert "Secret integration" not in everything and key.prefix not in everything
    refused = am_client.get(reverse(AUDIT), {"model": "core.ApiKey"})
    assert refused.status_code == 400
    export = am_client.get(reverse(AUDIT), {"model": "core.ApiKey", "format": "csv"})
    assert export.status_code == 400 and key.prefix not in export.content.decode()
    all_export = am_client.get(reverse(AUDIT), {"format": "csv"}).content.decode()
    assert key.prefix not in all_export and "Secret integration" not in all_export


def test_with_the_permission_the_key_events_show_its_prefix_never_its_hash(am_client, account_manager):
    account_manager.user_permissions.add(
        Permission.objects.get(codename="view_apikey", content_type__app_label="core")
    )
    key, _ = api_key(name="CTMS bridge")
    ApiKey.objects.filter(pk=key.pk).update(name="CTMS bridge v2")
    page = am_client.get(reverse(AUDIT), {"model": "core.ApiKey", "object": key.prefix}).content.decode()
    assert "CTMS bridge v2" in page and key.prefix in page
    assert key.hashed_key not in page and key.pk not in page
    export = am_client.get(reverse(AUDIT), {"model": "core.ApiKey", "format": "csv"}).content.decode()
    assert key.prefix in export and key.hashed_key not in export


@pytest.mark.parametrize(
    "params",
    [
        {"model": "engagements.Sponsor", "object": "abc"},
        {"model": "no.Such"},
        {"object": "0b3c1f0e-0000-4000-8000-000000000000"},
        {"since": "2026-02-30"},
        {"since": "2026-03-02", "until": "2026-03-01"},
        {"page": "abc"},
        {"page": "0"},
        {"page": "999999"},
    ],
)
def test_bad_parameters_are_a_400_with_the_reason(am_client, params):
    response = am_client.get(reverse(AUDIT), params)
    assert response.status_code == 400
    assert "Please correct the errors below" in response.content.decode()


def test_bad_parameters_on_the_export_are_a_400_too(am_client):
    response = am_client.get(
        reverse(AUDIT), {"model": "engagements.Sponsor", "object": "abc", "format": "csv"}
    )
    assert response.status_code == 400
    assert "not a valid id" in response.content.decode()


def test_the_trail_is_paged(am_client, settings):
    sponsor = SponsorFactory()
    for number in range(120):
        Sponsor.objects.filter(pk=sponsor.pk).update(notes=f"note {number}")
    first = am_client.get(reverse(AUDIT), {"model": "engagements.Sponsor", "object": sponsor.pk})
    text = first.content.decode()
    assert "Events 1–100" in text and "Older ›" in text
    assert text.split("<tbody>")[1].split("</tbody>")[0].count("<tr>") == 100
    second = am_client.get(reverse(AUDIT), {"model": "engagements.Sponsor", "object": sponsor.pk, "page": 2})
    assert "Events 101–121" in second.content.decode() and "‹ Newer" in second.content.decode()


def test_labels_not_codes(am_client):
    sponsor = SponsorFactory(name="Labelled Bio")
    Sponsor.objects.filter(pk=sponsor.pk).update(status="client")
    page = am_client.get(
        reverse(AUDIT), {"model": "engagements.Sponsor", "object": sponsor.pk}
    ).content.decode()
    assert "changed" in page and "created" in page and "engagements.Sponsor<" not in page
