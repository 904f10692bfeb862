"""A list costs the same number of queries whatever its page size: no query per row.

Each list is filled with ~60 rows that carry the relations its serializer shows, then read at
page_size=10 and page_size=50; the two query counts must be equal.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Answer, Question, Questionnaire, QuestionnaireStatus, Recommendation
from core.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from engagements.models import MembershipRole, Sponsor, SponsorCapability
from providers.models import ClinicalFunction, TherapeuticExpertise
from tests import factories
from tests.api import builders
from tests.api.conftest import API, session_client

pytestmark = pytest.mark.django_db

ROWS = 60
FUNCTION_CODES = ["biostatistics", "medical_writing", "pharmacovigilance"]


def fill_sponsors(sponsor):
    for index in range(ROWS - 1):
        other = factories.SponsorFactory(owner=sponsor.owner)
        other.regions.set(["europe", "north_america"])
        other.therapeutic_areas.set(["oncology"])
        SponsorCapability.objects.bulk_create(
            SponsorCapability(sponsor=other, function_id=code, level=index % 4) for code in FUNCTION_CODES
        )


def fill_contacts(sponsor):
    factories.ContactFactory.create_batch(ROWS, sponsor=sponsor)


def fill_engagements(sponsor):
    provider = factories.ProviderFactory()
    for _ in range(ROWS):
        engagement = factories.EngagementFactory(sponsor=sponsor)
        engagement.regions.set(["europe"])
        engagement.functions.set(FUNCTION_CODES)
        link = engagement.provider_links.create(provider=provider, role="lead")
        link.functions.set(FUNCTION_CODES[:1])


def fill_activities(sponsor):
    engagement = builders.engagement(sponsor)
    factories.ActivityFactory.create_batch(ROWS, engagement=engagement)


def fill_follow_ups(sponsor):
    engagement = builders.engagement(sponsor)
    factories.FollowUpFactory.create_batch(ROWS, engagement=engagement)


def _clone_recommendations(sponsor, assessments):
    template = builders.recommendation(sponsor)
    fields = {
        f.name: getattr(template, f.name)
        for f in Recommendation._meta.concrete_fields
        if f.name not in ("id", "assessment", "created_at")
    }
    Recommendation.objects.bulk_create(Recommendation(assessment=a, **fields) for a in assessments)


def fill_assessments(sponsor):
    # Sent, so the sponsor's own principals see them too (drafts are staff-only).
    assessments = factories.AssessmentFactory.create_batch(ROWS - 1, sponsor=sponsor, status="sent")
    questions = dict(
        Question.objects.filter(
            questionnaire=factories.reference_questionnaire(),
            code__in=["clinical_leadership", "sponsor_profile"],
        ).values_list("code", "pk")
    )
    now = timezone.now()
    Answer.objects.bulk_create(
        Answer(assessment=a, question_id=questions[code], value=value, answered_at=now)
        for a in assessments
        for code, value in (("clinical_leadership", 3), ("sponsor_profile", "large_pharma"))
    )
    _clone_recommendations(sponsor, assessments[:20])


def fill_recommendations(sponsor):
    _clone_recommendations(sponsor, factories.AssessmentFactory.create_batch(ROWS - 1, sponsor=sponsor))


def _providers():
    areas = ["oncology", "neurology"]
    for _ in range(ROWS // 3):
        provider = factories.ProviderFactory()
        provider.regions.set(["europe", "asia_pacific"])
        provider.ai_capabilities.set(["ai_data_review"])
        for code in FUNCTION_CODES:
            factories.CapabilityFactory(provider=provider, function=ClinicalFunction.objects.get(code=code))
        for area in areas:
            TherapeuticExpertise.objects.create(provider=provider, therapeutic_area_id=area, depth=3)


def fill_providers(sponsor):
    _providers()
    for _ in range(ROWS - ROWS // 3):
        factories.ProviderFactory()


def fill_capabilities(sponsor):
    _providers()


def fill_expertise(sponsor):
    _providers()
    for provider in factories.ProviderFactory.create_batch(ROWS // 3):
        TherapeuticExpertise.objects.create(provider=provider, therapeutic_area_id="rare_diseases", depth=2)


def fill_questionnaires(sponsor):
    now = timezone.now()
    for index in range(ROWS):
        Questionnaire.objects.create(
            name=f"Pulse check {index:02}", status=QuestionnaireStatus.PUBLISHED, published_at=now
        )


def fill_nothing(sponsor):
    """Catalogs are fixed reference data and are not paginated."""


def fill_webhook_endpoints(sponsor):
    WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(
            url=f"https://hooks.example.org/{index}",
            events=[WebhookEvent.REPORT_READY],
            sponsor=sponsor if index % 2 else None,
            is_active=False,
        )
        for index in range(ROWS)
    )


def fill_webhook_deliveries(sponsor):
    endpoint = builders.webhook_endpoint(sponsor)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event=WebhookEvent.REPORT_READY, payload={"n": index})
        for index in range(ROWS)
    )


SPONSOR_VISIBLE = [
    ("/sponsors/", fill_sponsors),
    ("/contacts/", fill_contacts),
    ("/engagements/", fill_engagements),
    ("/follow-ups/", fill_follow_ups),
    ("/assessments/", fill_assessments),
    ("/recommendations/", fill_recommendations),
    ("/providers/", fill_providers),
    ("/capabilities/", fill_capabilities),
    ("/therapeutic-expertise/", fill_expertise),
    ("/questionnaires/", fill_questionnaires),
    ("/catalogs/functions/", fill_nothing),
    ("/catalogs/therapeutic-areas/", fill_nothing),
    ("/catalogs/regions/", fill_nothing),
    ("/catalogs/ai-capabilities/", fill_nothing),
]
STAFF_ONLY = [
    ("/activities/", fill_activities),
    ("/webhook-endpoints/", fill_webhook_endpoints),
    ("/webhook-deliveries/", fill_webhook_deliveries),
]


def _rows(response) -> int:
    data = response.json()
    return len(data["results"] if isinstance(data, dict) else data)


def query_counts(client, path) -> tuple[int, int, int, int]:
    """(queries, rows) at page_size=10 and at page_size=50, after one warm-up request."""
    assert client.get(f"{API}{path}?page_size=1").status_code == 200
    counts = []
    for size in (10, 50):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{API}{path}?page_size={size}")
        assert response.status_code == 200
        counts += [len(captured), _rows(response)]
    return tuple(counts)


def _paginated(path) -> bool:
    return not path.startswith("/catalogs/")


@pytest.mark.parametrize(
    ("path", "fill"),
    SPONSOR_VISIBLE + STAFF_ONLY,
    ids=[p.strip("/") for p, _ in SPONSOR_VISIBLE + STAFF_ONLY],
)
def test_staff_list_query_count_does_not_grow_with_page_size(path, fill, staff_key, sponsor_a):
    fill(sponsor_a)
    small, small_rows, large, large_rows = query_counts(staff_key, path)
    if _paginated(path):
        assert (small_rows, large_rows) == (10, 50)
    assert small == large, f"{path}: {small} queries for 10 rows, {large} for 50"


@pytest.mark.parametrize(("path", "fill"), SPONSOR_VISIBLE, ids=[p.strip("/") for p, _ in SPONSOR_VISIBLE])
def test_sponsor_key_list_query_count_does_not_grow_with_page_size(path, fill, key_a, sponsor_a):
    fill(sponsor_a)
    small, small_rows, large, large_rows = query_counts(key_a, path)
    if _paginated(path) and path != "/sponsors/":  # a sponsor key sees one sponsor
        assert (small_rows, large_rows) == (10, 50)
    assert small == large, f"{path}: {small} queries for 10 rows, {large} for 50"


@pytest.mark.parametrize(("path", "fill"), SPONSOR_VISIBLE, ids=[p.strip("/") for p, _ in SPONSOR_VISIBLE])
def test_portal_member_list_query_count_does_not_grow_with_page_size(path, fill, sponsor_a):
    membership = factories.MembershipFactory(sponsor=sponsor_a, role=MembershipRole.VIEWER)
    client = session_client(membership.user)
    fill(sponsor_a)
    small, small_rows, large, large_rows = query_counts(client, path)
    if _paginated(path) and path != "/sponsors/":
        assert (small_rows, large_rows) == (10, 50)
    assert small == large, f"{path}: {small} queries for 10 rows, {large} for 50"


def test_engagement_list_stays_within_a_fixed_query_budget(staff_key, sponsor_a):
    fill_engagements(sponsor_a)
    _, _, large, _ = query_counts(staff_key, "/engagements/")
    # key lookup, page, then one prefetch each for regions, functions, provider links and their functions
    assert large <= 8, large


def test_member_of_many_sponsors_lists_them_at_a_fixed_query_count(sponsor_a):
    user = factories.UserFactory()
    fill_sponsors(sponsor_a)
    for sponsor in Sponsor.objects.all():
        factories.MembershipFactory(user=user, sponsor=sponsor)
    small, small_rows, large, large_rows = query_counts(session_client(user), "/sponsors/")
    assert (small_rows, large_rows) == (10, 50)
    assert small == large


def _detail_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{API}{path}").status_code == 200
    return len(captured)


def test_engagement_detail_costs_the_same_with_one_relation_or_many(staff_key, sponsor_a):
    one, full = builders.engagement(sponsor_a), builders.engagement(sponsor_a)
    one.regions.set(["europe"])
    one.functions.set(FUNCTION_CODES[:1])
    one.provider_links.create(provider=factories.ProviderFactory(), role="lead").functions.set(
        FUNCTION_CODES[:1]
    )
    full.regions.set(["europe", "north_america", "asia_pacific"])
    full.functions.set(FUNCTION_CODES)
    for _ in range(3):
        link = full.provider_links.create(provider=factories.ProviderFactory(), role="support")
        link.functions.set(FUNCTION_CODES)
    _detail_queries(staff_key, f"/engagements/{one.pk}/")  # warm-up
    assert _detail_queries(staff_key, f"/engagements/{one.pk}/") == _detail_queries(
        staff_key, f"/engagements/{full.pk}/"
    )
    # key lookup, the engagement, regions, functions, provider links, their functions (serializers)
    assert _detail_queries(staff_key, f"/engagements/{full.pk}/") <= 6


LEAN = [
    ("/sponsors/", fill_sponsors),
    ("/engagements/", fill_engagements),
    ("/follow-ups/", fill_follow_ups),
    ("/providers/", fill_providers),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("path", "fill"), LEAN, ids=[p.strip("/") for p, _ in LEAN])
def test_lean_lists_and_details_are_one_statement_after_the_key_lookup(staff_key, sponsor_a, path, fill):
    """On PostgreSQL every relation arrives as an array in the row's own statement."""
    fill(sponsor_a)
    assert query_counts(staff_key, path) == (2, 10, 2, 50)
    pk = staff_key.get(f"{API}{path}?page_size=1").json()["results"][0]["id"]
    assert _detail_queries(staff_key, f"{path}{pk}/") == 2


def test_sponsor_and_provider_details_cost_the_same_with_many_relations_or_none(staff_key, sponsor_a):
    bare_sponsor, full_sponsor = factories.SponsorFactory(), factories.SponsorFactory()
    full_sponsor.regions.set(["europe", "north_america"])
    full_sponsor.therapeutic_areas.set(["oncology", "neurology"])
    SponsorCapability.objects.create(sponsor=full_sponsor, function_id="biostatistics", level=2)
    bare_provider, full_provider = factories.ProviderFactory(), factories.ProviderFactory()
    full_provider.regions.set(["europe", "north_america"])
    for code in FUNCTION_CODES:
        factories.CapabilityFactory(provider=full_provider, function=ClinicalFunction.objects.get(code=code))
    TherapeuticExpertise.objects.create(provider=full_provider, therapeutic_area_id="oncology", depth=4)
    _detail_queries(staff_key, f"/sponsors/{bare_sponsor.pk}/")  # warm-up
    for kind, bare, full in [
        ("sponsors", bare_sponsor, full_sponsor),
        ("providers", bare_provider, full_provider),
    ]:
        assert _detail_queries(staff_key, f"/{kind}/{bare.pk}/") == _detail_queries(
            staff_key, f"/{kind}/{full.pk}/"
        )
