"""Idempotency-Key on POST: a retried request is answered from the first, and acts once."""

import pytest

from engagements.models import Contact, Engagement
from tests.factories import SponsorFactory, api_client, api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return api_client(api_key()[1])


def _contact(sponsor, email="ana@sponsor.example"):
    return {"sponsor": str(sponsor.pk), "first_name": "Ana", "last_name": "Silva", "email": email}


def test_a_retried_post_creates_once_and_replays_the_first_response(staff):
    sponsor = SponsorFactory()
    first = staff.post("/api/v1/contacts/", _contact(sponsor), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = staff.post("/api/v1/contacts/", _contact(sponsor), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Contact.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused(staff):
    sponsor = SponsorFactory()
    staff.post("/api/v1/contacts/", _contact(sponsor), format="json", HTTP_IDEMPOTENCY_KEY="abc-2")
    other = staff.post(
        "/api/v1/contacts/", _contact(sponsor, "bo@x.example"), format="json", HTTP_IDEMPOTENCY_KEY="abc-2"
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Contact.objects.count() == 1


def test_keys_are_per_principal():
    sponsor = SponsorFactory()
    one, two = api_client(api_key(name="one")[1]), api_client(api_key(name="two")[1])
    one.post("/api/v1/contacts/", _contact(sponsor), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = two.post(
        "/api/v1/contacts/",
        _contact(sponsor, "other@x.example"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    assert response.status_code == 201
    assert Contact.objects.count() == 2


def test_a_refused_request_is_replayed_too(staff):
    body = {"sponsor": str(SponsorFactory().pk), "name": ""}
    first = staff.post("/api/v1/engagements/", body, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    again = staff.post("/api/v1/engagements/", body, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert not Engagement.objects.exists()


def test_without_a_key_each_post_acts(staff):
    sponsor = SponsorFactory()
    staff.post("/api/v1/contacts/", _contact(sponsor), format="json")
    staff.post("/api/v1/contacts/", _contact(sponsor, "second@x.example"), format="json")
    assert Contact.objects.count() == 2


def test_an_over_long_key_is_refused(staff):
    response = staff.post(
        "/api/v1/contacts/", _contact(SponsorFactory()), format="json", HTTP_IDEMPOTENCY_KEY="k" * 300
    )
    assert response.status_code == 400
    assert not Contact.objects.exists()
