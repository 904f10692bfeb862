"""The engine on clear-cut sponsors and on each of its parts."""

import pytest

from assessments.scoring import ENGINE_VERSION, MODELS, recommend_model
from tests.assessments.reference import (
    EMERGING_BIOTECH_NO_INFRASTRUCTURE,
    FUNCTIONS,
    LARGE_PHARMA_TARGETED_GAPS,
    MID_SIZE_MIXED_COMPLEX,
    matrix,
    neutral_answers,
    reference_config,
)


@pytest.fixture(scope="module")
def config():
    return reference_config()


# --- Scenarios from the article ------------------------------------------------------------------


def test_emerging_biotech_without_infrastructure_gets_full_service_with_high_confidence(config):
    result = recommend_model(config, EMERGING_BIOTECH_NO_INFRASTRUCTURE)
    assert result.model == "full_service"
    assert result.confidence_label == "high"
    assert result.scores["full_service"] > result.scores["fsp"] + 30


def test_no_capability_global_and_aggressive_timelines_gets_full_service(config):
    answers = neutral_answers(
        internal_capabilities=matrix(0), geographic_footprint="global", timeline_pressure=5
    )
    assert recommend_model(config, answers).model == "full_service"


def test_large_pharma_with_strong_leadership_and_targeted_gaps_gets_fsp(config):
    result = recommend_model(config, LARGE_PHARMA_TARGETED_GAPS)
    assert result.model == "fsp"
    assert result.confidence_label == "high"


def test_large_pharma_plan_keeps_strong_functions_in_house_and_outsources_the_gaps(config):
    plan = {p.function: p.delivery for p in recommend_model(config, LARGE_PHARMA_TARGETED_GAPS).plan}
    assert plan["pharmacovigilance"] == "fsp"
    assert plan["medical_writing"] == "fsp"
    assert plan["clinical_operations"] == "in_house"
    assert set(plan) == set(FUNCTIONS)


def test_mid_size_sponsor_with_mixed_capability_in_a_complex_area_gets_hybrid(config):
    result = recommend_model(config, MID_SIZE_MIXED_COMPLEX)
    assert result.model == "hybrid"
    assert result.boutique.level == "strong"


def test_mixed_sponsor_plan_uses_boutiques_for_specialised_work_and_keeps_strengths(config):
    plan = {p.function: p for p in recommend_model(config, MID_SIZE_MIXED_COMPLEX).plan}
    assert plan["biostatistics"].delivery == "boutique"
    assert plan["clinical_operations"].delivery == "in_house"
    assert plan["clinical_data_management"].delivery == "full_service"  # no internal capability
    assert "complex therapeutic area" in plan["biostatistics"].reason


def test_hybrid_plan_sends_functions_the_sponsor_can_steer_to_fsp(config):
    answers = neutral_answers(
        internal_capabilities=matrix([3, 3, 3, 3, 1, 0, 0, 0, 3, 0, 0, 3, 0, 0]),
        functions_to_outsource=["clinical_data_management", "clinical_programming"],
        therapeutic_complexity=2,
    )
    result = recommend_model(config, answers)
    plan = {p.function: p.delivery for p in result.plan}
    assert result.model == "hybrid"
    assert plan["clinical_data_management"] == "fsp"  # limited capability: the sponsor can steer it
    assert plan["clinical_programming"] == "full_service"  # none: a partner owns it


# --- Scores, confidence, drivers -------------------------------------------------------------------


def test_every_score_is_between_0_and_100_and_the_model_has_the_top_score(config):
    result = recommend_model(config, EMERGING_BIOTECH_NO_INFRASTRUCTURE)
    assert set(result.scores) == set(MODELS)
    assert all(0 <= s <= 100 for s in result.scores.values())
    assert result.scores[result.model] == max(result.scores.values())


def test_confidence_is_low_when_scores_are_close(config):
    result = recommend_model(config, neutral_answers())
    ranked = sorted(result.scores.values(), reverse=True)
    assert ranked[0] - ranked[1] < 5
    assert result.confidence_label == "low"


def test_unanswered_questions_lower_confidence(config):
    complete = recommend_model(config, EMERGING_BIOTECH_NO_INFRASTRUCTURE)
    partial = dict(EMERGING_BIOTECH_NO_INFRASTRUCTURE)
    for code in ("budget_flexibility", "senior_support", "partnership_level", "resource_variability"):
        partial.pop(code)
    assert recommend_model(config, partial).confidence < complete.confidence


def test_drivers_name_the_answer_the_model_and_the_points(config):
    result = recommend_model(config, LARGE_PHARMA_TARGETED_GAPS)
    control = next(d for d in result.drivers if d.question == "strategic_control" and d.target == "fsp")
    assert control.points > 0
    assert "Strategic control: 5 of 5" in control.sentence
    assert "favours FSP" in control.sentence
    assert "decisions stay with you" in control.sentence
    against = next(
        d for d in result.drivers if d.question == "strategic_control" and d.target == "full_service"
    )
    assert against.points < 0
    assert "counts against full-service CRO" in against.sentence


def test_drivers_are_ordered_by_impact(config):
    points = [abs(d.points) for d in recommend_model(config, MID_SIZE_MIXED_COMPLEX).drivers]
    assert points == sorted(points, reverse=True)


def test_a_neutral_scale_answer_is_not_a_driver(config):
    result = recommend_model(config, neutral_answers(timeline_pressure=3))
    assert not [d for d in result.drivers if d.question == "timeline_pressure"]


def test_driver_points_add_up_to_each_score(config):
    result = recommend_model(config, MID_SIZE_MIXED_COMPLEX)
    for model in MODELS:
        total = 50 + sum(d.points for d in result.drivers if d.target == model)
        assert total == pytest.approx(result.scores[model], abs=0.2)


def test_mixed_signals_add_a_hybrid_balance_driver(config):
    result = recommend_model(config, neutral_answers())
    balance = [d for d in result.drivers if d.question == "__balance__"]
    assert balance and balance[0].target == "hybrid" and balance[0].points > 0


def test_engine_version_is_recorded(config):
    assert recommend_model(config, neutral_answers()).engine_version == ENGINE_VERSION


# --- Visibility and plan ---------------------------------------------------------------------------


def test_hidden_questions_are_ignored(config):
    with_hidden = neutral_answers(
        outsourcing_scope="entire_program", functions_to_outsource=["biostatistics"]
    )
    without = neutral_answers(outsourcing_scope="entire_program")
    without.pop("functions_to_outsource")
    assert recommend_model(config, with_hidden).scores == recommend_model(config, without).scores


def test_entire_program_scope_plans_every_function(config):
    plan = recommend_model(config, EMERGING_BIOTECH_NO_INFRASTRUCTURE).plan
    assert [p.function for p in plan] == FUNCTIONS
    assert {p.delivery for p in plan} <= {"full_service", "boutique"}


def test_functions_neither_outsourced_nor_done_in_house_are_left_out(config):
    answers = neutral_answers(
        outsourcing_scope="specific_functions",
        functions_to_outsource=["biostatistics"],
        internal_capabilities=matrix(0),
    )
    plan = recommend_model(config, answers).plan
    assert [p.function for p in plan] == ["biostatistics"]


# --- Boutique fit and AI readiness -----------------------------------------------------------------


def test_specialised_areas_and_senior_support_raise_the_boutique_fit(config):
    routine = recommend_model(config, neutral_answers(therapeutic_areas=["dermatology"], senior_support=1))
    specialised = recommend_model(
        config,
        neutral_answers(therapeutic_areas=["rare_diseases"], senior_support=5, therapeutic_complexity=5),
    )
    assert specialised.boutique.score > routine.boutique.score
    assert specialised.boutique.level == "strong"
    assert specialised.boutique.reasons


def test_ai_readiness_reflects_governance_and_platform(config):
    ready = recommend_model(config, neutral_answers(data_governance_maturity=5, sponsor_ai_platform=True))
    early = recommend_model(config, neutral_answers(data_governance_maturity=1, sponsor_ai_platform=False))
    assert ready.ai_readiness.level == "advanced" and ready.ai_readiness.score == 100
    assert early.ai_readiness.level == "early" and early.ai_readiness.score == 0
    assert any("inside your AI and data platform" in r for r in ready.ai_readiness.partner_requirements)
    assert any("bring their own" in r for r in early.ai_readiness.partner_requirements)


def test_ai_readiness_lists_the_capabilities_needed(config):
    result = recommend_model(
        config, neutral_answers(ai_maturity_required=5, ai_capabilities_needed=["risk_based_monitoring"])
    )
    assert result.ai_readiness.capabilities_needed == ("risk_based_monitoring",)
    assert result.ai_readiness.minimum_partner_maturity == 5
    assert any("Risk-based monitoring" in r for r in result.ai_readiness.partner_requirements)
