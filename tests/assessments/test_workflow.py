"""The assessment workflow through the services: draft → sent → in progress → submitted → reviewed."""

import pytest

from assessments import selectors, services
from assessments.models import Answer, Assessment, AssessmentStatus, Channel, Recommendation
from assessments.scoring import ENGINE_VERSION
from core.errors import ApplicationError
from tests.assessments.reference import (
    EMERGING_BIOTECH_NO_INFRASTRUCTURE,
    neutral_answers,
)
from tests.factories import (
    AssessmentFactory,
    CapabilityFactory,
    EngagementFactory,
    ProviderFactory,
    SponsorFactory,
    reference_questionnaire,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


def test_reference_questionnaire_config_from_the_database_matches_the_contract():
    from tests.assessments.reference import reference_config

    built = selectors.engine_config(reference_questionnaire())
    expected = reference_config()
    assert [q.code for q in built.questions] == [q.code for q in expected.questions]
    for ours, theirs in zip(built.questions, expected.questions, strict=True):
        assert (ours.kind, ours.choices, ours.required, ours.show_if) == (
            theirs.kind,
            theirs.choices,
            theirs.required,
            theirs.show_if,
        )
        assert set(ours.weights) == set(theirs.weights)


def test_create_uses_the_latest_published_questionnaire(account_manager):
    assessment = services.create_assessment(sponsor=SponsorFactory(), by=account_manager)
    assert assessment.questionnaire == reference_questionnaire(version=2)
    assert assessment.status == AssessmentStatus.DRAFT


def test_create_refuses_an_engagement_of_another_sponsor(account_manager):
    with pytest.raises(ApplicationError) as error:
        services.create_assessment(
            sponsor=SponsorFactory(), engagement=EngagementFactory(), by=account_manager
        )
    assert "engagement" in error.value.field_errors
    assert not Assessment.objects.exists()


def test_send_then_answer_moves_the_status_along(account_manager):
    assessment = AssessmentFactory()
    services.send_assessment(assessment=assessment, by=account_manager)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SENT and assessment.sent_by == account_manager
    services.save_answers(assessment=assessment, answers={"clinical_leadership": 4})
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_PROGRESS and assessment.started_at


def test_answers_record_who_answered_how_and_when(account_manager):
    assessment = AssessmentFactory()
    services.save_answers(
        assessment=assessment, answers={"timeline_pressure": 5}, by=account_manager, via=Channel.API
    )
    answer = Answer.objects.get(assessment=assessment)
    assert (answer.value, answer.answered_by, answer.answered_via) == (5, account_manager, "api")
    assert answer.answered_at is not None


def test_a_rejected_batch_saves_nothing():
    assessment = AssessmentFactory()
    services.save_answers(assessment=assessment, answers={"timeline_pressure": 2})
    with pytest.raises(ApplicationError) as error:
        services.save_answers(
            assessment=assessment,
            answers={"timeline_pressure": 5, "clinical_leadership": 9, "sponsor_profile": "startup"},
        )
    assert set(error.value.field_errors) == {"clinical_leadership", "sponsor_profile"}
    assert "nothing was saved" in error.value.message
    assert selectors.answers_of(assessment) == {"timeline_pressure": 2}


def test_none_clears_an_answer():
    assessment = AssessmentFactory()
    services.save_answers(assessment=assessment, answers={"timeline_pressure": 2, "senior_support": 3})
    assert services.save_answers(assessment=assessment, answers={"senior_support": None}) == {
        "timeline_pressure": 2
    }


def test_answers_must_be_an_object():
    with pytest.raises(ApplicationError):
        services.save_answers(assessment=AssessmentFactory(), answers=["timeline_pressure", 3])


def test_submit_refuses_missing_answers_and_names_them():
    assessment = AssessmentFactory()
    answers = neutral_answers()
    del answers["clinical_leadership"], answers["therapeutic_areas"]
    services.save_answers(assessment=assessment, answers=answers)
    with pytest.raises(ApplicationError) as error:
        services.submit_assessment(assessment=assessment)
    assert set(error.value.field_errors) == {"clinical_leadership", "therapeutic_areas"}
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_PROGRESS
    assert not Recommendation.objects.exists()


def test_submit_produces_a_snapshot_of_the_recommendation(account_manager):
    provider = ProviderFactory(name="Global Trials Co", engagement_models=["full_service"])
    CapabilityFactory(provider=provider)
    assessment = submitted_assessment(answers=EMERGING_BIOTECH_NO_INFRASTRUCTURE, by=account_manager)
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.submitted_by == account_manager
    recommendation = Recommendation.objects.get(assessment=assessment)
    assert recommendation.model == "full_service"
    assert recommendation.inputs["answers"]["timeline_pressure"] == 5
    assert recommendation.engine_version
    assert recommendation.shortlist[0]["name"] == "Global Trials Co"
    assert recommendation.drivers and recommendation.function_plan
    assert len(recommendation.provider_catalog_fingerprint) == 64


def test_submitted_answers_are_locked():
    assessment = submitted_assessment()
    with pytest.raises(ApplicationError) as error:
        services.save_answers(assessment=assessment, answers={"timeline_pressure": 1})
    assert "locked" in error.value.message
    with pytest.raises(ApplicationError):
        services.submit_assessment(assessment=assessment)
    assert Recommendation.objects.filter(assessment=assessment).count() == 1


def test_review_needs_a_submitted_assessment_and_records_the_comment(account_manager):
    with pytest.raises(ApplicationError):
        services.review_assessment(assessment=AssessmentFactory(), by=account_manager)
    assessment = submitted_assessment()
    services.review_assessment(assessment=assessment, by=account_manager, comment="Discussed on the call.")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.REVIEWED
    assert (assessment.reviewed_by, assessment.review_comment) == (account_manager, "Discussed on the call.")


def test_recommendations_are_immutable():
    recommendation = Recommendation.objects.get(assessment=submitted_assessment())
    recommendation.model = "fsp"
    with pytest.raises(ValueError, match="immutable"):
        recommendation.save()
    with pytest.raises(ValueError):
        recommendation.delete()
    assert Recommendation.objects.filter(pk=recommendation.pk, model="fsp").count() == 0


def test_recompute_keeps_the_snapshot_when_nothing_changed():
    assessment = submitted_assessment()
    original = Recommendation.objects.get(assessment=assessment)
    recommendation, created = services.recompute_recommendation(assessment=assessment)
    assert (recommendation, created) == (original, False)


def test_recompute_after_an_engine_upgrade_makes_a_new_snapshot_and_keeps_the_old():
    assessment = submitted_assessment()
    current = Recommendation.objects.get(assessment=assessment)
    fields = {f.name: getattr(current, f.name) for f in Recommendation._meta.concrete_fields}
    fields.update(id=None, engine_version="0.9.0")
    older = Recommendation.objects.create(**fields)  # as an earlier engine stored it
    recommendation, created = services.recompute_recommendation(assessment=assessment)
    assert created
    assert recommendation.engine_version == ENGINE_VERSION
    assert set(Recommendation.objects.filter(assessment=assessment)) == {current, older, recommendation}


def test_recompute_after_the_provider_catalog_changed_makes_a_new_snapshot():
    assessment = submitted_assessment()
    CapabilityFactory(provider=ProviderFactory(name="Newcomer CRO"))
    _, created = services.recompute_recommendation(assessment=assessment)
    assert created
    latest = selectors.latest_recommendation(assessment)
    assert "Newcomer CRO" in [entry["name"] for entry in latest.shortlist]


def test_what_if_returns_the_changed_recommendation_without_storing_it():
    assessment = submitted_assessment(answers=neutral_answers())
    before = Recommendation.objects.get(assessment=assessment)
    result = services.what_if(
        assessment=assessment,
        changes={
            "end_to_end_accountability": 5,
            "timeline_pressure": 5,
            "outsourcing_scope": "entire_program",
        },
    )
    assert result["recommendation"]["model"] == "full_service"
    comparison = result["comparison"]
    assert comparison["model_before"] == before.model
    assert comparison["score_changes"]["full_service"] > 0
    assert Recommendation.objects.filter(assessment=assessment).count() == 1
    assert selectors.answers_of(assessment)["timeline_pressure"] == 3


def test_what_if_refuses_invalid_changes_and_drafts():
    with pytest.raises(ApplicationError):
        services.what_if(assessment=AssessmentFactory(), changes={"timeline_pressure": 5})
    assessment = submitted_assessment()
    with pytest.raises(ApplicationError) as error:
        services.what_if(assessment=assessment, changes={"timeline_pressure": 7})
    assert "timeline_pressure" in error.value.field_errors
    with pytest.raises(ApplicationError):
        services.what_if(assessment=assessment, changes={})
    with pytest.raises(ApplicationError) as error:
        services.what_if(assessment=assessment, changes={"clinical_leadership": None})
    assert "clinical_leadership" in error.value.field_errors


def test_rescoring_a_batch_makes_new_snapshots_only_where_something_changed():
    unchanged = submitted_assessment()
    stale = submitted_assessment()
    current = Recommendation.objects.get(assessment=stale)
    fields = {f.name: getattr(current, f.name) for f in Recommendation._meta.concrete_fields}
    Recommendation.objects.create(**{**fields, "id": None, "engine_version": "0.9.0"})
    scored, created = services.rescore_assessments(
        assessment_ids=[unchanged.pk, stale.pk, AssessmentFactory().pk]
    )
    assert (scored, created) == (2, 1)
    assert Recommendation.objects.filter(assessment=unchanged).count() == 1
    assert selectors.latest_recommendation(stale).engine_version == ENGINE_VERSION
