"""The provider catalog as the matcher reads it: every active provider, flattened, in a fixed
number of queries however large the catalog."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.matching import ProviderProfile
from assessments.selectors import provider_profiles
from providers.models import AICapability, ClinicalFunction, Provider, Region, TherapeuticExpertise
from tests.factories import CapabilityFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _catalog(size: int):
    for _ in range(size):
        provider = ProviderFactory(engagement_models=["fsp", "hybrid"])
        provider.regions.set(Region.objects.filter(code__in=["europe", "north_america"]))
        provider.ai_capabilities.set(AICapability.objects.all()[:1])
        CapabilityFactory(provider=provider, function=ClinicalFunction.objects.get(code="biostatistics"))
        TherapeuticExpertise.objects.create(provider=provider, therapeutic_area_id="oncology", depth=4)


def test_every_active_provider_with_its_relations_and_no_inactive_one():
    Provider.objects.all().delete()
    full = ProviderFactory(name="Full", kind="fsp", senior_access=5, data_governance_maturity=2)
    full.regions.set(Region.objects.filter(code__in=["europe", "asia_pacific"]))
    full.ai_capabilities.set(AICapability.objects.filter(code="risk_based_monitoring"))
    CapabilityFactory(
        provider=full, function=ClinicalFunction.objects.get(code="biostatistics"), depth=4, capacity_fte=12
    )
    TherapeuticExpertise.objects.create(provider=full, therapeutic_area_id="oncology", depth=5)
    bare = ProviderFactory(name="Bare", engagement_models=[])
    ProviderFactory(name="Retired", is_active=False).regions.set(Region.objects.all())

    assert provider_profiles() == [
        ProviderProfile(
            id=str(bare.pk),
            name="Bare",
            kind=bare.kind,
            regions=frozenset(),
            ai_capabilities=frozenset(),
            senior_access=3,
            data_governance_maturity=3,
            engagement_models=frozenset(),
            capabilities={},
            expertise={},
        ),
        ProviderProfile(
            id=str(full.pk),
            name="Full",
            kind="fsp",
            regions=frozenset({"europe", "asia_pacific"}),
            ai_capabilities=frozenset({"risk_based_monitoring"}),
            senior_access=5,
            data_governance_maturity=2,
            engagement_models=frozenset({"full_service"}),
            capabilities={"biostatistics": (4, 12)},
            expertise={"oncology": 5},
        ),
    ]


def test_the_catalog_costs_the_same_queries_at_any_size():
    _catalog(3)
    with CaptureQueriesContext(connection) as small:
        assert len(provider_profiles()) >= 3
    _catalog(30)
    with CaptureQueriesContext(connection) as large:
        assert len(provider_profiles()) >= 33
    assert len(small) == len(large) == 5
