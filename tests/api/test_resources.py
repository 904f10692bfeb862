"""What each endpoint does for staff: create, read, update, delete, actions, filters, pagination."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Answer, Assessment, AssessmentStatus, Recommendation
from core.models import WebhookEndpoint
from engagements.models import (
    Activity,
    Contact,
    Engagement,
    FollowUp,
    FollowUpStatus,
    Sponsor,
    SponsorCapability,
    Stage,
    StageTransition,
)
from providers.models import Capability, ClinicalFunction, Provider, TherapeuticExpertise
from tests import factories
from tests.api import builders
from tests.api.conftest import API, assert_error, db_state, ids
from tests.assessments.reference import FUNCTIONS, neutral_answers

pytestmark = pytest.mark.django_db

REFERENCE_QUESTION_CODES = {
    "sponsor_profile",
    "internal_capabilities",
    "clinical_leadership",
    "oversight_capacity",
    "outsourcing_scope",
    "functions_to_outsource",
    "geographic_footprint",
    "timeline_pressure",
    "portfolio_growth",
    "resource_variability",
    "strategic_control",
    "flexibility_importance",
    "end_to_end_accountability",
    "partnership_level",
    "senior_support",
    "therapeutic_areas",
    "therapeutic_complexity",
    "ai_maturity_required",
    "ai_capabilities_needed",
    "sponsor_ai_platform",
    "data_governance_maturity",
    "budget_flexibility",
}


def walk(client, url) -> list[dict]:
    """Every row of a cursor-paginated list, following `next` links."""
    rows, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        rows.extend(body["results"])
        url = body["next"]
        pages += 1
        assert pages < 100, "pagination does not end"
    return rows


# --- Sponsors ------------------------------------------------------------------------------------


def test_staff_creates_a_sponsor_with_capabilities_areas_and_regions(staff_key, account_manager):
    response = staff_key.post(
        f"{API}/sponsors/",
        {
            "name": "Gamma Devices",
            "profile": "medical_device",
            "owner": account_manager.email,
            "therapeutic_areas": ["oncology", "neurology"],
            "regions": ["europe", "north_america"],
            "internal_capabilities": {"biostatistics": 2, "medical_writing": 0},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["internal_capabilities"] == {"biostatistics": 2, "medical_writing": 0}
    assert sorted(body["therapeutic_areas"]) == ["neurology", "oncology"]
    sponsor = Sponsor.objects.get(pk=body["id"])
    assert sponsor.owner == account_manager
    assert set(sponsor.regions.values_list("code", flat=True)) == {"europe", "north_america"}
    assert dict(sponsor.capabilities.values_list("function_id", "level")) == {
        "biostatistics": 2,
        "medical_writing": 0,
    }


def test_sponsor_created_by_an_account_manager_is_owned_by_them(staff_session, account_manager):
    response = staff_session.post(
        f"{API}/sponsors/", {"name": "Delta Pharma", "profile": "large_pharma"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["owner"] == account_manager.email
    assert Sponsor.objects.get(name="Delta Pharma").owner == account_manager


def test_sponsor_created_with_a_key_must_name_its_owner(staff_key):
    response = staff_key.post(
        f"{API}/sponsors/", {"name": "Delta Pharma", "profile": "large_pharma"}, format="json"
    )
    assert "owner" in assert_error(response, 400, "invalid")["fields"]
    assert not Sponsor.objects.filter(name="Delta Pharma").exists()


def test_sponsor_owner_must_be_an_active_account_manager(staff_key):
    outsider = factories.UserFactory()
    response = staff_key.post(
        f"{API}/sponsors/",
        {"name": "Delta Pharma", "profile": "large_pharma", "owner": outsider.email},
        format="json",
    )
    assert "owner" in assert_error(response, 400)["fields"]


def test_updating_internal_capabilities_keeps_unmentioned_functions(staff_key, sponsor_a):
    SponsorCapability.objects.create(sponsor=sponsor_a, function_id="biostatistics", level=2)
    response = staff_key.patch(
        f"{API}/sponsors/{sponsor_a.pk}/", {"internal_capabilities": {"medical_writing": 3}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["internal_capabilities"] == {"biostatistics": 2, "medical_writing": 3}
    assert dict(sponsor_a.capabilities.values_list("function_id", "level")) == {
        "biostatistics": 2,
        "medical_writing": 3,
    }


def test_unknown_function_code_in_internal_capabilities_is_refused(staff_key, sponsor_a):
    before = db_state()
    response = staff_key.patch(
        f"{API}/sponsors/{sponsor_a.pk}/",
        {"internal_capabilities": {"biostatistics": 2, "alchemy": 1}},
        format="json",
    )
    error = assert_error(response, 400, "invalid")
    assert "alchemy" in " ".join(error["fields"]["internal_capabilities"])
    assert db_state() == before


def test_internal_capability_above_strong_is_refused(staff_key, sponsor_a):
    before = db_state()
    response = staff_key.patch(
        f"{API}/sponsors/{sponsor_a.pk}/", {"internal_capabilities": {"biostatistics": 4}}, format="json"
    )
    assert "internal_capabilities.biostatistics" in assert_error(response, 400)["fields"]
    assert db_state() == before


def test_unknown_region_code_on_a_sponsor_is_refused(staff_key, sponsor_a):
    response = staff_key.patch(f"{API}/sponsors/{sponsor_a.pk}/", {"regions": ["atlantis"]}, format="json")
    assert "regions" in assert_error(response, 400)["fields"]
    assert not sponsor_a.regions.exists()


def test_sponsor_without_history_can_be_deleted(staff_key, sponsor_a):
    builders.contact(sponsor_a)
    assert staff_key.delete(f"{API}/sponsors/{sponsor_a.pk}/").status_code == 204
    assert not Sponsor.objects.filter(pk=sponsor_a.pk).exists()
    assert not Contact.objects.filter(sponsor_id=sponsor_a.pk).exists()


def test_sponsor_with_engagements_cannot_be_deleted(staff_key, sponsor_a):
    builders.engagement(sponsor_a)
    response = staff_key.delete(f"{API}/sponsors/{sponsor_a.pk}/")
    assert "dormant" in assert_error(response, 409, "conflict")["message"]
    assert Sponsor.objects.filter(pk=sponsor_a.pk).exists()


def test_sponsors_filter_by_profile_and_status(staff_key):
    wanted = factories.SponsorFactory(profile="large_pharma", status="client")
    factories.SponsorFactory(profile="large_pharma", status="prospect")
    factories.SponsorFactory(profile="emerging_biotech", status="client")
    response = staff_key.get(f"{API}/sponsors/?profile=large_pharma&status=client")
    assert ids(response) == {str(wanted.pk)}


def test_sponsors_filter_by_region(staff_key):
    european = factories.SponsorFactory()
    european.regions.set(["europe"])
    factories.SponsorFactory().regions.set(["asia_pacific"])
    assert ids(staff_key.get(f"{API}/sponsors/?region=europe")) == {str(european.pk)}


def test_sponsors_search_by_name_and_headquarters(staff_key):
    basel = factories.SponsorFactory(name="Rhine Bio", headquarters="Basel")
    named = factories.SponsorFactory(name="Baselworks Pharma")
    factories.SponsorFactory(name="Other", headquarters="Boston")
    assert ids(staff_key.get(f"{API}/sponsors/?search=basel")) == {str(basel.pk), str(named.pk)}


def test_sponsors_are_listed_by_name_and_can_be_reversed(staff_key):
    for name in ("Charlie Bio", "Alpha Bio", "Bravo Bio"):
        factories.SponsorFactory(name=name)
    names = [row["name"] for row in staff_key.get(f"{API}/sponsors/").json()["results"]]
    assert names == ["Alpha Bio", "Bravo Bio", "Charlie Bio"]
    names = [row["name"] for row in staff_key.get(f"{API}/sponsors/?ordering=-name").json()["results"]]
    assert names == ["Charlie Bio", "Bravo Bio", "Alpha Bio"]


# --- Contacts ------------------------------------------------------------------------------------


def test_staff_creates_updates_and_deletes_a_contact(staff_key, sponsor_a):
    response = staff_key.post(
        f"{API}/contacts/",
        {
            "sponsor": str(sponsor_a.pk),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@alpha.example",
            "is_primary": True,
        },
        format="json",
    )
    assert response.status_code == 201
    contact = Contact.objects.get(pk=response.json()["id"])
    assert (contact.sponsor, contact.is_primary) == (sponsor_a, True)

    response = staff_key.patch(f"{API}/contacts/{contact.pk}/", {"job_title": "CMO"}, format="json")
    assert response.status_code == 200
    assert response.json()["job_title"] == "CMO"
    contact.refresh_from_db()
    assert contact.job_title == "CMO"

    assert staff_key.delete(f"{API}/contacts/{contact.pk}/").status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_sponsor_key_keeps_its_own_contacts_in_sync(key_a, sponsor_a):
    response = key_a.post(
        f"{API}/contacts/",
        {"sponsor": str(sponsor_a.pk), "first_name": "Grace", "last_name": "Hopper", "email": "g@a.example"},
        format="json",
    )
    assert response.status_code == 201
    assert Contact.objects.get(pk=response.json()["id"]).sponsor == sponsor_a


def test_contact_email_is_unique_within_a_sponsor(staff_key, sponsor_a):
    factories.ContactFactory(sponsor=sponsor_a, email="dup@a.example")
    response = staff_key.post(
        f"{API}/contacts/",
        {"sponsor": str(sponsor_a.pk), "first_name": "A", "last_name": "B", "email": "dup@a.example"},
        format="json",
    )
    assert_error(response, 400, "invalid")
    assert Contact.objects.filter(sponsor=sponsor_a).count() == 1


def test_a_sponsor_has_at_most_one_primary_contact(staff_key, sponsor_a):
    factories.ContactFactory(sponsor=sponsor_a, is_primary=True)
    other = builders.contact(sponsor_a)
    response = staff_key.patch(f"{API}/contacts/{other.pk}/", {"is_primary": True}, format="json")
    assert_error(response, 400, "invalid")
    other.refresh_from_db()
    assert other.is_primary is False


def test_contacts_search_and_filter(staff_key, sponsor_a):
    ada = factories.ContactFactory(sponsor=sponsor_a, last_name="Lovelace", is_primary=True)
    factories.ContactFactory(sponsor=sponsor_a, last_name="Turing")
    assert ids(staff_key.get(f"{API}/contacts/?search=lovelace")) == {str(ada.pk)}
    assert ids(staff_key.get(f"{API}/contacts/?is_primary=true")) == {str(ada.pk)}


# --- Engagements ---------------------------------------------------------------------------------


def test_creating_an_engagement_records_its_initial_stage(staff_key, sponsor_a):
    response = staff_key.post(
        f"{API}/engagements/", {"sponsor": str(sponsor_a.pk), "name": "Phase II NSCLC"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["stage"] == "lead"
    assert body["owner"] == sponsor_a.owner.email
    transitions = list(StageTransition.objects.filter(engagement_id=body["id"]))
    assert [(t.from_stage, t.to_stage) for t in transitions] == [("", "lead")]

    history = staff_key.get(f"{API}/engagements/{body['id']}/stage-history/").json()
    assert [(stay["stage"], stay["left_at"]) for stay in history] == [("lead", None)]


def test_engagement_is_created_with_areas_regions_functions_and_providers(staff_key, sponsor_a):
    provider = factories.ProviderFactory()
    response = staff_key.post(
        f"{API}/engagements/",
        {
            "sponsor": str(sponsor_a.pk),
            "name": "Gene therapy pivotal",
            "therapeutic_area": "cell_gene_therapy",
            "regions": ["europe"],
            "functions": ["biostatistics", "medical_writing"],
            "providers": [{"provider": str(provider.pk), "role": "lead", "functions": ["biostatistics"]}],
            "value": "2500000.00",
            "phase": "phase_3",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["providers"] == [
        {
            "provider": str(provider.pk),
            "provider_name": provider.name,
            "role": "lead",
            "functions": ["biostatistics"],
        }
    ]
    engagement = Engagement.objects.get(pk=body["id"])
    assert engagement.therapeutic_area_id == "cell_gene_therapy"
    assert engagement.value == Decimal("2500000.00")
    assert set(engagement.functions.values_list("code", flat=True)) == {"biostatistics", "medical_writing"}


def test_a_provider_may_appear_only_once_on_an_engagement(staff_key, sponsor_a):
    provider = factories.ProviderFactory()
    link = {"provider": str(provider.pk)}
    response = staff_key.post(
        f"{API}/engagements/",
        {"sponsor": str(sponsor_a.pk), "name": "Twice", "providers": [link, link]},
        format="json",
    )
    assert "providers" in assert_error(response, 400)["fields"]
    assert not Engagement.objects.filter(name="Twice").exists()


def test_engagement_stage_cannot_be_changed_by_patch(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    before = db_state()
    response = staff_key.patch(f"{API}/engagements/{engagement.pk}/", {"stage": "won"}, format="json")
    error = assert_error(response, 400, "invalid")
    assert "transition" in " ".join(error["fields"]["stage"])
    assert db_state() == before


def test_engagement_fields_are_updated_by_patch(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    response = staff_key.patch(
        f"{API}/engagements/{engagement.pk}/",
        {"name": "Renamed", "value": "750000.00", "regions": ["latin_america"]},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["regions"]) == ("Renamed", ["latin_america"])
    engagement.refresh_from_db()
    assert (engagement.name, engagement.value) == ("Renamed", Decimal("750000.00"))


def test_engagement_end_date_cannot_precede_its_start(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    response = staff_key.patch(
        f"{API}/engagements/{engagement.pk}/",
        {"start_date": "2026-06-01", "end_date": "2026-01-01"},
        format="json",
    )
    assert "end_date" in assert_error(response, 400)["fields"]
    engagement.refresh_from_db()
    assert engagement.start_date is None


def test_allowed_transition_moves_the_engagement_and_records_who(staff_session, account_manager, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    response = staff_session.post(
        f"{API}/engagements/{engagement.pk}/transition/",
        {"stage": "qualification", "note": "Budget confirmed"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["stage"] == "qualification"
    engagement.refresh_from_db()
    assert engagement.stage == Stage.QUALIFICATION
    transition = StageTransition.objects.get(engagement=engagement, to_stage="qualification")
    assert (transition.from_stage, transition.by, transition.note) == (
        "lead",
        account_manager,
        "Budget confirmed",
    )


def test_disallowed_transition_is_a_409_naming_the_allowed_stages(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    before = db_state()
    response = staff_key.post(
        f"{API}/engagements/{engagement.pk}/transition/", {"stage": "won"}, format="json"
    )
    error = assert_error(response, 409, "conflict")
    assert "Lead" in error["message"] and "Won" in error["message"]
    assert "Qualification" in error["message"]
    assert db_state() == before


def test_transition_without_a_stage_is_a_400(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    response = staff_key.post(f"{API}/engagements/{engagement.pk}/transition/", {}, format="json")
    assert "stage" in assert_error(response, 400)["fields"]


def test_stage_history_lists_each_stay_in_order(staff_key, sponsor_a):
    response = staff_key.post(
        f"{API}/engagements/", {"sponsor": str(sponsor_a.pk), "name": "Pipeline"}, format="json"
    )
    url = f"{API}/engagements/{response.json()['id']}"
    for stage in ("qualification", "assessment"):
        assert staff_key.post(f"{url}/transition/", {"stage": stage}, format="json").status_code == 200
    stays = staff_key.get(f"{url}/stage-history/").json()
    assert [stay["stage"] for stay in stays] == ["lead", "qualification", "assessment"]
    assert stays[0]["left_at"] == stays[1]["entered_at"]
    assert stays[-1]["left_at"] is None
    assert all(stay["duration_seconds"] >= 0 for stay in stays)


def test_deleting_an_engagement_removes_its_timeline_but_keeps_assessments(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    factories.ActivityFactory(engagement=engagement)
    factories.FollowUpFactory(engagement=engagement)
    assessment = factories.AssessmentFactory(sponsor=sponsor_a, engagement=engagement)
    assert staff_key.delete(f"{API}/engagements/{engagement.pk}/").status_code == 204
    assert not Engagement.objects.filter(pk=engagement.pk).exists()
    assert not Activity.objects.filter(engagement_id=engagement.pk).exists()
    assert not FollowUp.objects.filter(engagement_id=engagement.pk).exists()
    assessment.refresh_from_db()
    assert assessment.engagement is None


def test_engagements_filter_by_stage(staff_key, sponsor_a):
    lead = factories.EngagementFactory(sponsor=sponsor_a, stage=Stage.LEAD)
    won = factories.EngagementFactory(sponsor=sponsor_a, stage=Stage.WON)
    factories.EngagementFactory(sponsor=sponsor_a, stage=Stage.LOST)
    assert ids(staff_key.get(f"{API}/engagements/?stage=lead")) == {str(lead.pk)}
    assert ids(staff_key.get(f"{API}/engagements/?stage=lead&stage=won")) == {str(lead.pk), str(won.pk)}


def test_engagements_filter_by_value_range_and_sponsor(staff_key, sponsor_a, sponsor_b):
    big = factories.EngagementFactory(sponsor=sponsor_a, value=Decimal("5000000"))
    factories.EngagementFactory(sponsor=sponsor_a, value=Decimal("100"))
    factories.EngagementFactory(sponsor=sponsor_b, value=Decimal("9000000"))
    response = staff_key.get(f"{API}/engagements/?value_min=1000000&sponsor={sponsor_a.pk}")
    assert ids(response) == {str(big.pk)}


def test_engagements_search_by_name(staff_key, sponsor_a):
    wanted = factories.EngagementFactory(sponsor=sponsor_a, name="Oncology basket trial")
    factories.EngagementFactory(sponsor=sponsor_a, name="Device feasibility")
    assert ids(staff_key.get(f"{API}/engagements/?search=BASKET")) == {str(wanted.pk)}


def test_engagements_order_by_value(staff_key, sponsor_a):
    for value in (300, 100, 200):
        factories.EngagementFactory(sponsor=sponsor_a, value=Decimal(value))
    rows = staff_key.get(f"{API}/engagements/?ordering=-value").json()["results"]
    assert [Decimal(row["value"]) for row in rows] == [300, 200, 100]
    rows = staff_key.get(f"{API}/engagements/?ordering=value").json()["results"]
    assert [Decimal(row["value"]) for row in rows] == [100, 200, 300]


# --- Activities ----------------------------------------------------------------------------------


def test_logging_an_activity_moves_the_engagements_last_activity(staff_session, account_manager, sponsor_a):
    engagement = factories.EngagementFactory(
        sponsor=sponsor_a, last_activity_at=timezone.now() - timedelta(days=30)
    )
    response = staff_session.post(
        f"{API}/activities/",
        {"engagement": str(engagement.pk), "kind": "call", "subject": "Scope call"},
        format="json",
    )
    assert response.status_code == 201
    activity = Activity.objects.get(pk=response.json()["id"])
    assert (activity.kind, activity.by) == ("call", account_manager)
    assert response.json()["by"] == account_manager.email
    engagement.refresh_from_db()
    assert engagement.last_activity_at == activity.occurred_at


def test_backdated_activity_leaves_last_activity_alone(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    before = engagement.last_activity_at
    response = staff_key.post(
        f"{API}/activities/",
        {
            "engagement": str(engagement.pk),
            "subject": "Old note",
            "occurred_at": (before - timedelta(days=5)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201
    engagement.refresh_from_db()
    assert engagement.last_activity_at == before


def test_unknown_activity_kind_is_refused(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    response = staff_key.post(
        f"{API}/activities/",
        {"engagement": str(engagement.pk), "kind": "telegram", "subject": "?"},
        format="json",
    )
    assert "kind" in assert_error(response, 400)["fields"]
    assert not Activity.objects.exists()


def test_activities_filter_by_kind(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    call = factories.ActivityFactory(engagement=engagement, kind="call")
    factories.ActivityFactory(engagement=engagement, kind="note")
    assert ids(staff_key.get(f"{API}/activities/?kind=call")) == {str(call.pk)}


# --- Follow-ups ----------------------------------------------------------------------------------


def test_follow_up_for_an_engagement_takes_its_sponsor_and_owner(staff_key, sponsor_a):
    engagement = builders.engagement(sponsor_a)
    response = staff_key.post(
        f"{API}/follow-ups/",
        {"engagement": str(engagement.pk), "title": "Send budget", "due_at": timezone.now().isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.content
    follow_up = FollowUp.objects.get(pk=response.json()["id"])
    assert (follow_up.sponsor, follow_up.assignee) == (sponsor_a, engagement.owner)
    assert response.json()["sponsor"] == str(sponsor_a.pk)


def test_follow_up_needs_a_sponsor_or_an_engagement(staff_key):
    response = staff_key.post(
        f"{API}/follow-ups/", {"title": "Orphan", "due_at": timezone.now().isoformat()}, format="json"
    )
    assert "sponsor" in assert_error(response, 400)["fields"]
    assert not FollowUp.objects.exists()


def test_marking_a_follow_up_done_sets_completed_at_and_reopening_clears_it(staff_key, sponsor_a):
    follow_up = builders.follow_up(sponsor_a)
    response = staff_key.patch(f"{API}/follow-ups/{follow_up.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 200
    assert response.json()["completed_at"] is not None
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.completed_at is not None

    response = staff_key.patch(f"{API}/follow-ups/{follow_up.pk}/", {"status": "open"}, format="json")
    assert response.json()["completed_at"] is None
    follow_up.refresh_from_db()
    assert follow_up.completed_at is None


def test_follow_up_completed_at_is_read_only(staff_key, sponsor_a):
    follow_up = builders.follow_up(sponsor_a)
    staff_key.patch(
        f"{API}/follow-ups/{follow_up.pk}/", {"completed_at": timezone.now().isoformat()}, format="json"
    )
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.completed_at) == (FollowUpStatus.OPEN, None)


def test_follow_ups_filter_by_status_and_overdue(staff_key, sponsor_a):
    overdue = factories.FollowUpFactory(
        engagement__sponsor=sponsor_a, due_at=timezone.now() - timedelta(days=1)
    )
    upcoming = factories.FollowUpFactory(engagement__sponsor=sponsor_a)
    done = factories.FollowUpFactory(
        engagement__sponsor=sponsor_a, status=FollowUpStatus.DONE, completed_at=timezone.now()
    )
    assert ids(staff_key.get(f"{API}/follow-ups/?status=open")) == {str(overdue.pk), str(upcoming.pk)}
    assert ids(staff_key.get(f"{API}/follow-ups/?status=done")) == {str(done.pk)}
    assert ids(staff_key.get(f"{API}/follow-ups/?overdue=true")) == {str(overdue.pk)}


# --- Providers, capabilities, expertise ---------------------------------------------------------


def test_staff_creates_a_provider_with_catalog_codes(staff_key):
    response = staff_key.post(
        f"{API}/providers/",
        {
            "name": "Nimble FSP",
            "kind": "fsp",
            "regions": ["europe", "asia_pacific"],
            "ai_capabilities": ["risk_based_monitoring"],
            "engagement_models": ["fsp", "hybrid", "fsp"],
            "certifications": ["ISO 9001"],
            "senior_access": 4,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["engagement_models"] == ["fsp", "hybrid"]
    provider = Provider.objects.get(name="Nimble FSP")
    assert set(provider.regions.values_list("code", flat=True)) == {"europe", "asia_pacific"}
    assert list(provider.ai_capabilities.values_list("code", flat=True)) == ["risk_based_monitoring"]
    assert provider.engagement_models == ["fsp", "hybrid"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("engagement_models", ["outsourcing_magic"]),
        ("engagement_models", "fsp"),
        ("regions", ["atlantis"]),
        ("ai_capabilities", ["telepathy"]),
        ("kind", "cro_of_cros"),
        ("senior_access", 6),
        ("data_governance_maturity", 0),
    ],
)
def test_provider_with_an_invalid_field_is_refused(field, value, staff_key):
    response = staff_key.post(
        f"{API}/providers/", {"name": "Bad CRO", "kind": "fsp", field: value}, format="json"
    )
    fields = assert_error(response, 400, "invalid")["fields"]
    assert any(re.split(r"[.\[]", key)[0] == field for key in fields)
    assert not Provider.objects.filter(name="Bad CRO").exists()


def test_provider_detail_includes_capabilities_and_expertise(staff_key):
    capability = builders.capability()
    TherapeuticExpertise.objects.create(provider=capability.provider, therapeutic_area_id="oncology", depth=5)
    body = staff_key.get(f"{API}/providers/{capability.provider.pk}/").json()
    assert [(c["function"], c["depth"]) for c in body["capabilities"]] == [("biostatistics", 4)]
    assert [(e["therapeutic_area"], e["depth"]) for e in body["expertise"]] == [("oncology", 5)]


def test_providers_filter_by_kind(staff_key):
    fsp = factories.ProviderFactory(kind="fsp")
    factories.ProviderFactory(kind="boutique_cro")
    assert ids(staff_key.get(f"{API}/providers/?kind=fsp")) == {str(fsp.pk)}


def test_providers_filter_by_function_and_depth(staff_key):
    deep = factories.CapabilityFactory(depth=5).provider
    factories.CapabilityFactory(depth=2)
    response = staff_key.get(f"{API}/providers/?function=biostatistics&min_depth=4")
    assert ids(response) == {str(deep.pk)}


def test_provider_involved_in_an_engagement_cannot_be_deleted(staff_key, sponsor_a):
    provider = factories.ProviderFactory()
    engagement = builders.engagement(sponsor_a)
    engagement.provider_links.create(provider=provider)
    assert_error(staff_key.delete(f"{API}/providers/{provider.pk}/"), 409, "conflict")
    assert Provider.objects.filter(pk=provider.pk).exists()


def test_staff_adds_and_changes_a_capability(staff_key):
    provider = factories.ProviderFactory()
    response = staff_key.post(
        f"{API}/capabilities/",
        {"provider": str(provider.pk), "function": "pharmacovigilance", "depth": 5, "capacity_fte": 40},
        format="json",
    )
    assert response.status_code == 201
    capability = Capability.objects.get(pk=response.json()["id"])
    assert (capability.function_id, capability.depth, capability.capacity_fte) == ("pharmacovigilance", 5, 40)
    response = staff_key.patch(f"{API}/capabilities/{capability.pk}/", {"depth": 2}, format="json")
    assert response.status_code == 200
    capability.refresh_from_db()
    assert capability.depth == 2


def test_second_capability_for_the_same_function_is_refused(staff_key):
    capability = builders.capability()
    response = staff_key.post(
        f"{API}/capabilities/",
        {"provider": str(capability.provider_id), "function": "biostatistics", "depth": 3},
        format="json",
    )
    assert_error(response, 400, "invalid")
    assert Capability.objects.count() == 1


@pytest.mark.parametrize("depth", [0, 6])
def test_capability_depth_outside_1_to_5_is_refused(depth, staff_key):
    provider = factories.ProviderFactory()
    response = staff_key.post(
        f"{API}/capabilities/",
        {"provider": str(provider.pk), "function": "biostatistics", "depth": depth},
        format="json",
    )
    assert "depth" in assert_error(response, 400)["fields"]
    assert not Capability.objects.exists()


def test_capabilities_filter_by_provider(staff_key):
    wanted = builders.capability()
    builders.capability()
    assert ids(staff_key.get(f"{API}/capabilities/?provider={wanted.provider_id}")) == {str(wanted.pk)}


def test_staff_records_therapeutic_expertise_once_per_area(staff_key):
    provider = factories.ProviderFactory()
    body = {"provider": str(provider.pk), "therapeutic_area": "rare_diseases", "depth": 4}
    assert staff_key.post(f"{API}/therapeutic-expertise/", body, format="json").status_code == 201
    assert_error(staff_key.post(f"{API}/therapeutic-expertise/", body, format="json"), 400)
    assert TherapeuticExpertise.objects.filter(provider=provider).count() == 1


# --- Catalogs and questionnaires ----------------------------------------------------------------


def test_functions_catalog_lists_every_function_in_position_order(staff_key):
    rows = staff_key.get(f"{API}/catalogs/functions/").json()
    assert [row["code"] for row in rows] == list(
        ClinicalFunction.objects.order_by("position", "name").values_list("code", flat=True)
    )
    assert {row["code"] for row in rows} == set(FUNCTIONS)
    assert {"code", "name", "description", "position", "specialised"} <= set(rows[0])


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("functions", "biostatistics"),
        ("therapeutic-areas", "oncology"),
        ("regions", "europe"),
        ("ai-capabilities", "ai_data_review"),
    ],
)
def test_catalog_entry_is_addressed_by_code(path, code, key_a):
    response = key_a.get(f"{API}/catalogs/{path}/{code}/")
    assert response.status_code == 200
    assert response.json()["code"] == code


def test_unknown_catalog_code_is_404(staff_key):
    assert_error(staff_key.get(f"{API}/catalogs/regions/atlantis/"), 404, "not_found")


def test_catalog_search(staff_key):
    rows = staff_key.get(f"{API}/catalogs/therapeutic-areas/?search=onco").json()
    assert [row["code"] for row in rows] == ["oncology"]


def test_questionnaire_detail_has_sections_questions_choices_and_weights(key_a):
    questionnaire = factories.reference_questionnaire()
    body = key_a.get(f"{API}/questionnaires/{questionnaire.pk}/").json()
    assert (body["version"], body["status"]) == (1, "published")
    questions = {q["code"]: q for section in body["sections"] for q in section["questions"]}
    assert set(questions) == REFERENCE_QUESTION_CODES
    profile = questions["sponsor_profile"]
    assert profile["kind"] == "single"
    assert {c["value"] for c in profile["choices"]} == {
        "emerging_biotech",
        "mid_size_pharma",
        "large_pharma",
        "medical_device",
        "academic_nonprofit",
    }
    assert any(q["weights"] for q in questions.values())
    weight = next(w for q in questions.values() for w in q["weights"])
    assert set(weight) == {"option", "target", "weight", "rationale", "sentence_low", "sentence_high"}
    positions = [section["position"] for section in body["sections"]]
    assert positions == sorted(positions)


def test_questionnaire_list_is_a_summary_without_sections(staff_key):
    rows = staff_key.get(f"{API}/questionnaires/").json()["results"]
    assert rows
    assert all("sections" not in row for row in rows)


# --- Assessments ---------------------------------------------------------------------------------


def test_assessment_created_without_a_questionnaire_uses_the_latest_published(staff_key, sponsor_a):
    response = staff_key.post(f"{API}/assessments/", {"sponsor": str(sponsor_a.pk)}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["questionnaire"] == str(factories.reference_questionnaire(version=2).pk)
    assert (body["status"], body["answers"], body["latest_recommendation"]) == ("draft", {}, None)
    assert sponsor_a.name in body["title"]


def test_assessment_on_a_draft_questionnaire_is_refused(staff_key, sponsor_a):
    from assessments.services import new_questionnaire_version

    draft = new_questionnaire_version(questionnaire=factories.reference_questionnaire())
    response = staff_key.post(
        f"{API}/assessments/", {"sponsor": str(sponsor_a.pk), "questionnaire": str(draft.pk)}, format="json"
    )
    assert "questionnaire" in assert_error(response, 400)["fields"]
    assert not Assessment.objects.exists()


def test_sending_an_assessment_sets_status_sent_and_due_date(staff_key, sponsor_a):
    assessment = builders.draft_assessment(sponsor_a)
    response = staff_key.post(
        f"{API}/assessments/{assessment.pk}/send/", {"due_date": "2030-01-31"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["due_date"]) == ("sent", "2030-01-31")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SENT
    assert assessment.sent_at is not None
    assert assessment.due_date == date(2030, 1, 31)


def test_saving_a_batch_of_answers_stores_them_and_starts_the_assessment(key_a, sponsor_a):
    assessment = builders.sent_assessment(sponsor_a)
    response = key_a.post(
        f"{API}/assessments/{assessment.pk}/answers/",
        {"answers": {"clinical_leadership": 4, "sponsor_profile": "large_pharma"}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["answers"] == {"clinical_leadership": 4, "sponsor_profile": "large_pharma"}
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_PROGRESS
    assert key_a.get(f"{API}/assessments/{assessment.pk}/answers/").json()["answers"] == {
        "clinical_leadership": 4,
        "sponsor_profile": "large_pharma",
    }


def test_batch_with_one_bad_answer_saves_nothing(staff_key, sponsor_a):
    assessment = builders.draft_assessment(sponsor_a)
    before = db_state()
    response = staff_key.post(
        f"{API}/assessments/{assessment.pk}/answers/",
        {"answers": {"clinical_leadership": 4, "timeline_pressure": 9}},
        format="json",
    )
    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"timeline_pressure"}
    assert db_state() == before
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_unknown_question_code_is_refused_by_code(staff_key, sponsor_a):
    assessment = builders.draft_assessment(sponsor_a)
    response = staff_key.post(
        f"{API}/assessments/{assessment.pk}/answers/",
        {"answers": {"favourite_colour": "blue"}},
        format="json",
    )
    assert set(assert_error(response, 400)["fields"]) == {"favourite_colour"}
    assert not Answer.objects.exists()


def test_null_answer_clears_a_saved_one(staff_key, sponsor_a):
    assessment = builders.answered_assessment(sponsor_a)
    response = staff_key.post(
        f"{API}/assessments/{assessment.pk}/answers/",
        {"answers": {"clinical_leadership": None}},
        format="json",
    )
    assert response.status_code == 200
    assert "clinical_leadership" not in response.json()["answers"]
    assert not Answer.objects.filter(assessment=assessment, question__code="clinical_leadership").exists()


def test_submit_with_missing_answers_names_them_and_submits_nothing(staff_key, sponsor_a):
    assessment = builders.draft_assessment(sponsor_a)
    staff_key.post(
        f"{API}/assessments/{assessment.pk}/answers/", {"answers": {"clinical_leadership": 4}}, format="json"
    )
    before = db_state()
    response = staff_key.post(f"{API}/assessments/{assessment.pk}/submit/")
    error = assert_error(response, 400, "invalid")
    assert "sponsor_profile" in error["fields"]
    assert "timeline_pressure" in error["fields"]
    assert "clinical_leadership" not in error["fields"]
    assert db_state() == before


def test_submit_returns_the_recommendation_and_locks_the_assessment(key_a, sponsor_a):
    assessment = builders.answered_assessment(sponsor_a)
    response = key_a.post(f"{API}/assessments/{assessment.pk}/submit/")
    assert response.status_code == 201
    body = response.json()
    assert body["model"] in {"full_service", "fsp", "hybrid"}
    assert set(body["scores"]) >= {"full_service", "fsp", "hybrid"}
    assert body["assessment"] == str(assessment.pk)
    assert body["inputs"]["answers"]["clinical_leadership"] == 3
    assert Recommendation.objects.get(assessment=assessment).pk.hex == body["id"].replace("-", "")
    assessment.refresh_from_db()
    assert (assessment.status, assessment.submitted_via) == (AssessmentStatus.SUBMITTED, "api")


def test_answers_after_submit_are_a_409(staff_key, sponsor_a):
    assessment = builders.submitted_assessment(sponsor_a)
    before = db_state()
    response = staff_key.post(
        f"{API}/assessments/{assessment.pk}/answers/", {"answers": {"clinical_leadership": 5}}, format="json"
    )
    assert "locked" in assert_error(response, 409, "conflict")["message"]
    assert db_state() == before


def test_second_submit_is_a_409(staff_key, sponsor_a):
    assessment = builders.submitted_assessment(sponsor_a)
    before = db_state()
    assert_error(staff_key.post(f"{API}/assessments/{assessment.pk}/submit/"), 409, "conflict")
    assert db_state() == before


def test_what_if_answers_with_a_comparison_and_stores_nothing(key_a, sponsor_a):
    assessment = builders.submitted_assessment(sponsor_a)
    before = db_state()
    response = key_a.post(
        f"{API}/assessments/{assessment.pk}/what-if/",
        {"changes": {"timeline_pressure": 5, "portfolio_growth": "rapid"}},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["changes"] == {"timeline_pressure": 5, "portfolio_growth": "rapid"}
    assert body["recommendation"]["model"] in {"full_service", "fsp", "hybrid"}
    assert isinstance(body["comparison"], dict)
    assert body["comparison"]
    assert db_state() == before


def test_what_if_on_an_unsubmitted_assessment_is_a_409(staff_key, sponsor_a):
    assessment = builders.answered_assessment(sponsor_a)
    response = staff_key.post(
        f"{API}/assessments/{assessment.pk}/what-if/", {"changes": {"timeline_pressure": 5}}, format="json"
    )
    assert_error(response, 409, "conflict")


def test_what_if_with_an_invalid_change_is_a_400_by_code(staff_key, sponsor_a):
    assessment = builders.submitted_assessment(sponsor_a)
    response = staff_key.post(
        f"{API}/assessments/{assessment.pk}/what-if/", {"changes": {"timeline_pressure": 0}}, format="json"
    )
    assert set(assert_error(response, 400)["fields"]) == {"timeline_pressure"}


def test_reviewing_is_a_signed_act_the_api_cannot_perform(staff_key, sponsor_a):
    """Part 11: a person signs a review in the admin (password and second factor); the API has
    no way to mark an assessment reviewed."""
    assessment = builders.submitted_assessment(sponsor_a)
    response = staff_key.post(f"{API}/assessments/{assessment.pk}/review/", {"comment": "ok"}, format="json")
    assert response.status_code == 404
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_assessment_recommendations_action_lists_its_recommendations(key_a, sponsor_a):
    assessment = builders.submitted_assessment(sponsor_a)
    rows = key_a.get(f"{API}/assessments/{assessment.pk}/recommendations/").json()
    assert [row["id"] for row in rows] == [str(r.pk) for r in assessment.recommendations.all()]
    assert rows[0]["assessment"] == str(assessment.pk)


def test_patching_an_assessment_title_is_saved(staff_key, sponsor_a):
    assessment = builders.draft_assessment(sponsor_a)
    response = staff_key.patch(f"{API}/assessments/{assessment.pk}/", {"title": "Renamed"}, format="json")
    assert response.status_code == 200
    assessment.refresh_from_db()
    assert assessment.title == "Renamed"


def test_patching_an_assessment_answers_with_the_new_values(staff_key, sponsor_a):
    assessment = builders.draft_assessment(sponsor_a)
    response = staff_key.patch(f"{API}/assessments/{assessment.pk}/", {"title": "Renamed"}, format="json")
    assert response.json()["title"] == "Renamed"


def test_submitted_assessment_cannot_be_changed_or_deleted(staff_key, sponsor_a):
    assessment = builders.submitted_assessment(sponsor_a)
    before = db_state()
    url = f"{API}/assessments/{assessment.pk}/"
    assert_error(staff_key.patch(url, {"title": "Renamed"}, format="json"), 409, "conflict")
    assert_error(staff_key.delete(url), 409, "conflict")
    assert db_state() == before


def test_assessment_with_answers_cannot_be_deleted(staff_key, sponsor_a):
    assessment = builders.answered_assessment(sponsor_a)
    assert_error(staff_key.delete(f"{API}/assessments/{assessment.pk}/"), 409, "conflict")
    assert Assessment.objects.filter(pk=assessment.pk).exists()


def test_assessments_filter_by_status(staff_key, sponsor_a):
    submitted = builders.submitted_assessment(sponsor_a)
    builders.draft_assessment(sponsor_a)
    assert ids(staff_key.get(f"{API}/assessments/?status=submitted")) == {str(submitted.pk)}


def test_assessment_detail_shows_answers_and_latest_recommendation(key_a, sponsor_a):
    assessment = builders.submitted_assessment(sponsor_a)
    body = key_a.get(f"{API}/assessments/{assessment.pk}/").json()
    assert body["answers"]["sponsor_profile"] == neutral_answers()["sponsor_profile"]
    recommendation = assessment.recommendations.get()
    assert body["latest_recommendation"]["id"] == str(recommendation.pk)
    assert body["latest_recommendation"]["model"] == recommendation.model


# --- Recommendations -----------------------------------------------------------------------------


def test_recommendation_detail_is_the_full_snapshot(key_a, sponsor_a):
    recommendation = builders.recommendation(sponsor_a)
    body = key_a.get(f"{API}/recommendations/{recommendation.pk}/").json()
    assert body["model"] == recommendation.model
    assert body["engine_version"] == recommendation.engine_version
    assert body["inputs"]["answers"] == recommendation.inputs["answers"]
    for field in ("scores", "confidence", "drivers", "function_plan", "boutique_fit", "ai_readiness"):
        assert body[field] == getattr(recommendation, field)


def test_recommendations_cannot_be_written(staff_key, sponsor_a):
    recommendation = builders.recommendation(sponsor_a)
    url = f"{API}/recommendations/{recommendation.pk}/"
    assert staff_key.patch(url, {"model": "fsp"}, format="json").status_code == 405
    assert staff_key.delete(url).status_code == 405
    assert Recommendation.objects.get(pk=recommendation.pk).model == recommendation.model


def test_recommendations_filter_by_assessment(staff_key, sponsor_a):
    wanted = builders.recommendation(sponsor_a)
    builders.recommendation(sponsor_a)
    response = staff_key.get(f"{API}/recommendations/?assessment={wanted.assessment_id}")
    assert ids(response) == {str(wanted.pk)}


# --- Webhook endpoints ---------------------------------------------------------------------------


def test_webhook_secret_is_shown_only_on_creation(staff_key):
    response = staff_key.post(
        f"{API}/webhook-endpoints/",
        {"url": "https://hooks.example.org/a", "events": ["assessment.submitted", "assessment.submitted"]},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"] == endpoint.secret
    assert endpoint.events == ["assessment.submitted"]
    assert "secret" not in staff_key.get(f"{API}/webhook-endpoints/{endpoint.pk}/").json()


def test_webhook_endpoint_with_an_unknown_event_is_refused(staff_key):
    response = staff_key.post(
        f"{API}/webhook-endpoints/",
        {"url": "https://hooks.example.org/a", "events": ["moon.landed"]},
        format="json",
    )
    assert any(key.startswith("events") for key in assert_error(response, 400)["fields"])
    assert not WebhookEndpoint.objects.exists()


def test_webhook_deliveries_are_listed_for_staff(staff_key):
    delivery = builders.webhook_delivery()
    assert ids(staff_key.get(f"{API}/webhook-deliveries/")) == {str(delivery.pk)}


# --- Cursor pagination ---------------------------------------------------------------------------


def test_default_page_holds_25_rows(staff_key, sponsor_a):
    factories.EngagementFactory.create_batch(30, sponsor=sponsor_a)
    body = staff_key.get(f"{API}/engagements/").json()
    assert len(body["results"]) == 25
    assert body["next"]


def test_following_next_links_visits_every_row_once(staff_key, sponsor_a):
    created = {str(e.pk) for e in factories.EngagementFactory.create_batch(23, sponsor=sponsor_a)}
    rows = walk(staff_key, f"{API}/engagements/?page_size=5")
    assert [row["id"] for row in rows if row["id"] in created] == [row["id"] for row in rows]
    assert len(rows) == 23
    assert {row["id"] for row in rows} == created


def test_page_size_is_respected_on_every_page(staff_key, sponsor_a):
    factories.ContactFactory.create_batch(12, sponsor=sponsor_a)
    first = staff_key.get(f"{API}/contacts/?page_size=5").json()
    assert len(first["results"]) == 5
    second = staff_key.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_page_size_is_capped_at_100(staff_key):
    factories.ProviderFactory.create_batch(105)
    body = staff_key.get(f"{API}/providers/?page_size=500").json()
    assert len(body["results"]) == 100
    assert body["next"]


def test_ordering_is_kept_across_pages(staff_key, sponsor_a):
    for value in range(1, 13):
        factories.EngagementFactory(sponsor=sponsor_a, value=Decimal(value * 1000))
    rows = walk(staff_key, f"{API}/engagements/?ordering=-value&page_size=5")
    values = [Decimal(row["value"]) for row in rows]
    assert values == sorted(values, reverse=True)
    assert len(values) == 12


def test_filters_are_kept_in_next_links(staff_key, sponsor_a):
    factories.EngagementFactory.create_batch(7, sponsor=sponsor_a, stage=Stage.LEAD)
    factories.EngagementFactory.create_batch(4, sponsor=sponsor_a, stage=Stage.LOST)
    rows = walk(staff_key, f"{API}/engagements/?stage=lead&page_size=3")
    assert len(rows) == 7
    assert {row["stage"] for row in rows} == {"lead"}


def test_previous_link_returns_to_the_first_page(staff_key, sponsor_a):
    factories.EngagementFactory.create_batch(8, sponsor=sponsor_a)
    first = staff_key.get(f"{API}/engagements/?page_size=4").json()
    second = staff_key.get(first["next"]).json()
    back = staff_key.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


NULLABLE_ORDERINGS = [
    ("/engagements/", "expected_close_date", "engagement"),
    ("/assessments/", "due_date", "assessment"),
    ("/assessments/", "submitted_at", "assessment"),
]


def _rows_with_and_without(kind, field, sponsor) -> set[str]:
    """Six rows with a value in `field` and six without."""
    if kind == "engagement":
        made = [
            factories.EngagementFactory(sponsor=sponsor, expected_close_date=date(2030, 1, day))
            for day in range(1, 7)
        ]
        made += factories.EngagementFactory.create_batch(6, sponsor=sponsor)
    elif field == "due_date":
        made = [
            factories.AssessmentFactory(sponsor=sponsor, due_date=date(2030, 1, day)) for day in range(1, 7)
        ]
        made += factories.AssessmentFactory.create_batch(6, sponsor=sponsor)
    else:
        made = [factories.submitted_assessment(sponsor=sponsor) for _ in range(6)]
        made += factories.AssessmentFactory.create_batch(6, sponsor=sponsor)
    return {str(row.pk) for row in made}


@pytest.mark.parametrize(
    ("path", "field", "kind"),
    NULLABLE_ORDERINGS,
    ids=[f"{p.strip('/')}-{f}" for p, f, _ in NULLABLE_ORDERINGS],
)
def test_paging_in_either_direction_of_a_nullable_field_visits_every_row(
    path, field, kind, staff_key, sponsor_a
):
    expected = _rows_with_and_without(kind, field, sponsor_a)
    for ordering in (field, f"-{field}"):
        url = f"{API}{path}?ordering={ordering}&page_size=4"
        seen, pages = [], 0
        while url:
            response = staff_key.get(url)
            assert response.status_code == 200, (ordering, response.content[:200])
            seen += [row["id"] for row in response.json()["results"]]
            url = response.json()["next"]
            pages += 1
            assert pages < 20
        assert sorted(seen) == sorted(expected), ordering


# --- Idempotency-Key -----------------------------------------------------------------------------


def _contact_body(sponsor) -> dict:
    return {"sponsor": str(sponsor.pk), "first_name": "Ida", "last_name": "Key", "email": "ida@a.example"}


def test_retried_post_with_the_same_idempotency_key_creates_once_and_replays(key_a, sponsor_a):
    body = _contact_body(sponsor_a)
    first = key_a.post(f"{API}/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="sync-42")
    again = key_a.post(f"{API}/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="sync-42")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Contact.objects.filter(email="ida@a.example").count() == 1


def test_idempotency_key_reused_for_a_different_body_is_a_422(key_a, sponsor_a):
    body = _contact_body(sponsor_a)
    key_a.post(f"{API}/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="sync-42")
    before = db_state()
    response = key_a.post(
        f"{API}/contacts/",
        {**body, "email": "other@a.example"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="sync-42",
    )
    assert_error(response, 422, "idempotency_key_reused")
    assert db_state() == before


def test_idempotency_keys_are_per_principal(key_a, staff_key, sponsor_a):
    body = _contact_body(sponsor_a)
    key_a.post(f"{API}/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="sync-42")
    response = staff_key.post(
        f"{API}/contacts/",
        {**body, "email": "staff@a.example"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="sync-42",
    )
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_idempotency_key_of_bad_length_is_a_400(key, key_a, sponsor_a):
    response = key_a.post(
        f"{API}/contacts/", _contact_body(sponsor_a), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert_error(response, 400, "invalid")
    assert not Contact.objects.filter(email="ida@a.example").exists()


def test_an_activity_time_with_a_far_offset_is_stored_as_its_utc_instant(staff_key, sponsor_a):
    # Python reads offsets up to ±23:59, PostgreSQL only to ±15:59: the API hands it UTC.
    engagement = builders.engagement(sponsor_a)
    response = staff_key.post(
        f"{API}/activities/",
        {
            "engagement": str(engagement.pk),
            "subject": "Late call",
            "occurred_at": "2026-01-01T20:00:00-21:03",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Activity.objects.get().occurred_at == datetime(2026, 1, 2, 17, 3, tzinfo=UTC)


@pytest.mark.parametrize("moment", ["0001-01-01T00:30:00+05:00", "9999-12-31T23:30:00-05:00"])
def test_an_activity_time_with_no_utc_equivalent_is_refused(staff_key, sponsor_a, moment):
    engagement = builders.engagement(sponsor_a)
    response = staff_key.post(
        f"{API}/activities/",
        {"engagement": str(engagement.pk), "subject": "Never", "occurred_at": moment},
        format="json",
    )
    assert "occurred_at" in assert_error(response, 400)["fields"]
    assert not Activity.objects.exists()
