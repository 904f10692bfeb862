"""The lean list path returns exactly what the serializers would, row for row."""

import json
from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIRequestFactory

from core.api.lean import code_array
from engagements.api.serializers import EngagementSerializer, FollowUpSerializer, SponsorSerializer
from engagements.api.views import EngagementViewSet, FollowUpViewSet, SponsorViewSet
from engagements.models import Engagement, EngagementProvider, MembershipRole
from engagements.services import set_internal_capabilities
from providers.api import ProviderSerializer, ProviderViewSet
from providers.models import AICapability, ClinicalFunction, Region, TherapeuticArea, TherapeuticExpertise
from tests import factories

# The lean path is PostgreSQL's (arrays in the page query); elsewhere the serializers answer.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def world():
    sponsor = factories.SponsorFactory(notes="Private note", headquarters="Basel")
    sponsor.regions.set(Region.objects.filter(code__in=["europe", "asia_pacific"]))
    sponsor.therapeutic_areas.set(TherapeuticArea.objects.filter(code__in=["oncology", "neurology"]))
    set_internal_capabilities(sponsor=sponsor, levels={"biostatistics": 3, "clinical_operations": 1})
    provider = factories.ProviderFactory(certifications=["ISO 9001"], engagement_models=["fsp", "hybrid"])
    provider.regions.set(Region.objects.all())
    provider.ai_capabilities.set(AICapability.objects.filter(code="risk_based_monitoring"))
    factories.CapabilityFactory(provider=provider)
    factories.CapabilityFactory(
        provider=provider, function=ClinicalFunction.objects.get(code="medical_writing")
    )
    TherapeuticExpertise.objects.create(provider=provider, therapeutic_area_id="oncology", depth=5)
    for index in range(4):
        engagement = factories.EngagementFactory(
            sponsor=sponsor,
            value=Decimal("1234567.5") + index,
            start_date=date(2026, 1, 1) if index % 2 else None,
            expected_close_date=date(2026, 6, 30),
        )
        engagement.regions.set(Region.objects.filter(code__in=["europe", "north_america"]))
        engagement.functions.set(
            ClinicalFunction.objects.filter(code__in=["biostatistics", "pharmacovigilance"])
        )
        link = EngagementProvider.objects.create(engagement=engagement, provider=provider, role="lead")
        link.functions.set(ClinicalFunction.objects.filter(code__in=["medical_writing", "biostatistics"]))
        factories.FollowUpFactory(engagement=engagement)
        factories.FollowUpFactory(
            sponsor=sponsor, engagement=None, assignee=sponsor.owner, notes="No engagement"
        )
    factories.ProviderFactory()  # a provider with no relations at all
    return sponsor


CASES = [
    ("/api/v1/sponsors/", SponsorViewSet, SponsorSerializer),
    ("/api/v1/engagements/", EngagementViewSet, EngagementSerializer),
    ("/api/v1/follow-ups/", FollowUpViewSet, FollowUpSerializer),
    ("/api/v1/providers/", ProviderViewSet, ProviderSerializer),
]


def _serialized(viewset, serializer_class, ids, principal):
    request = APIRequestFactory().get("/")
    request.user = principal
    view = viewset()
    # No action: the queryset keeps the serializer's prefetches (the lean actions drop them).
    view.request, view.format_kwarg, view.action, view.kwargs = request, None, None, {}
    instances = {str(obj.pk): obj for obj in view.get_queryset().filter(pk__in=ids)}
    data = serializer_class([instances[i] for i in ids], many=True, context={"request": request}).data
    return json.loads(json.dumps(data))


def _key_order(value):
    """The keys of every object in `value`, in order, nested as the objects are."""
    if isinstance(value, dict):
        return [(key, _key_order(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_key_order(item) for item in value]
    return None


def _signed_in(world, who):
    """(principal, API client signed in as them): an account manager, or a member of `world`."""
    if who == "staff":
        principal = factories.AccountManagerFactory()
    else:
        principal = factories.MembershipFactory(sponsor=world, role=MembershipRole.CONTRIBUTOR).user
    client = factories.api_client()
    client.force_login(principal)
    return principal, client


@pytest.mark.parametrize(("path", "viewset", "serializer_class"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("who", ["staff", "member"])
def test_lean_rows_equal_serializer_output(world, path, viewset, serializer_class, who):
    principal, client = _signed_in(world, who)
    rows = client.get(f"{path}?page_size=100").json()["results"]
    assert rows
    expected = _serialized(viewset, serializer_class, [row["id"] for row in rows], principal)
    assert rows == expected
    assert _key_order(rows) == _key_order(expected)  # nested objects too (jsonb would sort them)
    if path == "/api/v1/sponsors/":
        assert ("notes" in rows[0]) is (who == "staff")


@pytest.mark.parametrize(("path", "viewset", "serializer_class"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("who", ["staff", "member"])
def test_lean_detail_equals_serializer_output(world, path, viewset, serializer_class, who):
    principal, client = _signed_in(world, who)
    ids = [row["id"] for row in client.get(f"{path}?page_size=100").json()["results"]]
    assert ids
    expected = _serialized(viewset, serializer_class, ids, principal)
    details = [client.get(f"{path}{pk}/").json() for pk in ids]
    assert details == expected
    assert _key_order(details) == _key_order(expected)


@pytest.mark.parametrize(
    "query",
    ["region=europe&function=biostatistics", "stage=lead&stage=proposal&region=europe", "search=rescue"],
)
def test_filters_that_join_relations_keep_each_rows_own_arrays(world, query):
    """The precompiled arrays name the engagement table; joins added by filters must not shift them."""
    principal, client = _signed_in(world, "staff")
    other = factories.EngagementFactory(sponsor=world, stage="lead", name="Oncology rescue study")
    other.regions.set(Region.objects.filter(code__in=["europe", "latin_america"]))
    other.functions.set(ClinicalFunction.objects.filter(code="biostatistics"))
    rows = client.get(f"/api/v1/engagements/?page_size=100&{query}").json()["results"]
    assert rows
    expected = _serialized(EngagementViewSet, EngagementSerializer, [row["id"] for row in rows], principal)
    assert rows == expected


def _codes(queryset, relation) -> dict:
    return dict(queryset.values_list("pk", code_array(relation)))


def test_code_arrays_follow_the_catalogs_order_for_each_owner():
    Region.objects.filter(code="europe").update(position=1)
    Region.objects.filter(code="north_america").update(position=2)
    Region.objects.create(code="zz_last", name="AAA first by name, last by position", position=99)
    Region.objects.create(code="tie_b", name="B tie", position=50)
    Region.objects.create(code="tie_a", name="A tie", position=50)
    first, second, bare = factories.EngagementFactory.create_batch(3)
    first.regions.set(
        Region.objects.filter(code__in=["zz_last", "north_america", "europe", "tie_b", "tie_a"])
    )
    second.regions.set(Region.objects.filter(code__in=["north_america"]))
    bare.regions.clear()

    assert _codes(Engagement.objects.all(), Engagement.regions) == {
        first.pk: ["europe", "north_america", "tie_a", "tie_b", "zz_last"],
        second.pk: ["north_america"],
        bare.pk: [],
    }


def test_code_arrays_read_a_relation_whose_owner_has_an_integer_key():
    engagement = factories.EngagementFactory()
    link = EngagementProvider.objects.create(engagement=engagement, provider=factories.ProviderFactory())
    link.functions.set(ClinicalFunction.objects.filter(code__in=["medical_writing", "biostatistics"]))
    expected = list(
        ClinicalFunction.objects.filter(code__in=["medical_writing", "biostatistics"]).values_list(
            "code", flat=True
        )
    )
    assert _codes(EngagementProvider.objects.all(), EngagementProvider.functions) == {link.pk: expected}
