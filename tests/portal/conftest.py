import pytest

from engagements.models import MembershipRole
from tests.factories import MembershipFactory, SponsorFactory


@pytest.fixture
def member(db):
    return MembershipFactory(role=MembershipRole.CONTRIBUTOR)


@pytest.fixture
def member_client(client, member):
    client.force_login(member.user)
    return client


@pytest.fixture
def other_sponsor(db):
    return SponsorFactory(name="Rival Therapeutics")
