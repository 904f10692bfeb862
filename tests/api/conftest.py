"""Principals and helpers shared by the API tests.

Two sponsors, A and B. Each principal is an APIClient: a staff key, a staff session, a key bound
to A or B, a portal member of A or B (session), and nobody at all.
"""

import pytest
from rest_framework.test import APIClient

from assessments.models import Answer, Assessment, Recommendation
from core.models import WebhookDelivery, WebhookEndpoint
from engagements.models import (
    Activity,
    Contact,
    Engagement,
    EngagementProvider,
    FollowUp,
    MembershipRole,
    Sponsor,
    SponsorCapability,
    StageTransition,
)
from providers.models import Capability, Provider, TherapeuticExpertise
from tests import factories

API = "/api/v1"

TRACKED_MODELS = (
    Sponsor,
    SponsorCapability,
    Contact,
    Engagement,
    EngagementProvider,
    StageTransition,
    Activity,
    FollowUp,
    Assessment,
    Answer,
    Recommendation,
    Provider,
    Capability,
    TherapeuticExpertise,
    WebhookEndpoint,
    WebhookDelivery,
)


def db_state() -> dict[str, list[str]]:
    """Every row of every model the API can write, in a comparable form."""
    return {
        model.__name__: sorted(repr(sorted(row.items())) for row in model.objects.values())
        for model in TRACKED_MODELS
    }


def ids(response) -> set[str]:
    """The ids in a list response (paginated or not)."""
    data = response.json()
    rows = data["results"] if isinstance(data, dict) else data
    return {str(row.get("id", row.get("code"))) for row in rows}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response has `status` and the one error shape; returns the error body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"}
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def sponsor_a(db):
    return factories.SponsorFactory(name="Alpha Therapeutics")


@pytest.fixture
def sponsor_b(db):
    return factories.SponsorFactory(name="Beta Biologics")


@pytest.fixture
def staff_key(db):
    return factories.api_client(factories.api_key()[1])


@pytest.fixture
def staff_session(account_manager):
    return session_client(account_manager)


@pytest.fixture
def key_a(sponsor_a):
    return factories.api_client(factories.api_key(sponsor=sponsor_a)[1])


@pytest.fixture
def key_b(sponsor_b):
    return factories.api_client(factories.api_key(sponsor=sponsor_b)[1])


@pytest.fixture
def member_a(sponsor_a):
    membership = factories.MembershipFactory(sponsor=sponsor_a, role=MembershipRole.CONTRIBUTOR)
    return session_client(membership.user)


@pytest.fixture
def member_b(sponsor_b):
    membership = factories.MembershipFactory(sponsor=sponsor_b, role=MembershipRole.CONTRIBUTOR)
    return session_client(membership.user)


@pytest.fixture
def anonymous():
    return APIClient()
