"""Properties of the engine over many generated sponsors (hypothesis)."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.engine import SponsorContext, recommend
from assessments.scoring import MODELS, recommend_model
from tests.assessments.reference import AI, AREAS, FUNCTIONS, REGIONS, provider, reference_config

CONFIG = reference_config()
scale = st.integers(1, 5)


@st.composite
def answer_sets(draw):
    scope = draw(st.sampled_from(["entire_program", "multiple_functions", "specific_functions"]))
    answers = {
        "sponsor_profile": draw(
            st.sampled_from(
                [
                    "emerging_biotech",
                    "mid_size_pharma",
                    "large_pharma",
                    "medical_device",
                    "academic_nonprofit",
                ]
            )
        ),
        "internal_capabilities": {f: draw(st.integers(0, 3)) for f in FUNCTIONS},
        "outsourcing_scope": scope,
        "geographic_footprint": draw(
            st.sampled_from(["single_country", "single_region", "multi_region", "global"])
        ),
        "portfolio_growth": draw(st.sampled_from(["stable", "growing", "rapid"])),
        "partnership_level": draw(st.sampled_from(["transactional", "collaborative", "strategic"])),
        "therapeutic_areas": draw(st.lists(st.sampled_from(AREAS), min_size=1, max_size=4, unique=True)),
        "ai_capabilities_needed": draw(st.lists(st.sampled_from(AI), max_size=3, unique=True)),
        "sponsor_ai_platform": draw(st.booleans()),
    }
    for code in (
        "clinical_leadership",
        "oversight_capacity",
        "timeline_pressure",
        "resource_variability",
        "strategic_control",
        "flexibility_importance",
        "end_to_end_accountability",
        "senior_support",
        "budget_flexibility",
        "therapeutic_complexity",
        "ai_maturity_required",
        "data_governance_maturity",
    ):
        answers[code] = draw(scale)
    if scope != "entire_program":
        answers["functions_to_outsource"] = draw(
            st.lists(st.sampled_from(FUNCTIONS), min_size=1, unique=True)
        )
    # Any question may also be left unanswered.
    dropped = draw(st.lists(st.sampled_from(sorted(answers)), max_size=4, unique=True))
    return {k: v for k, v in answers.items() if k not in dropped}


@given(answer_sets())
def test_same_answers_give_the_same_recommendation(answers):
    first = recommend_model(CONFIG, answers)
    again = recommend_model(CONFIG, dict(reversed(list(answers.items()))))
    assert first.explained() == again.explained()


@given(answer_sets())
def test_scores_and_confidence_stay_in_bounds(answers):
    result = recommend_model(CONFIG, answers)
    assert all(0 <= result.scores[m] <= 100 for m in MODELS)
    assert 0 <= result.confidence <= 1
    assert 0 <= result.boutique.score <= 100
    assert 0 <= result.ai_readiness.score <= 100
    assert result.scores[result.model] == max(result.scores.values())


def _raised(answers, code, values):
    for low, high in itertools.pairwise(values):
        yield {**answers, code: low}, {**answers, code: high}


@given(answer_sets(), st.sampled_from(["clinical_leadership", "strategic_control", "oversight_capacity"]))
def test_more_leadership_control_or_oversight_never_moves_towards_full_service(answers, code):
    for before, after in _raised(answers, code, [1, 2, 3, 4, 5]):
        old, new = recommend_model(CONFIG, before), recommend_model(CONFIG, after)
        assert new.scores["full_service"] <= old.scores["full_service"]
        assert new.scores["fsp"] >= old.scores["fsp"]
        if old.model != "full_service":
            assert new.model != "full_service"


@given(answer_sets(), st.sampled_from(["end_to_end_accountability", "timeline_pressure"]))
def test_more_accountability_or_timeline_pressure_never_moves_away_from_full_service(answers, code):
    for before, after in _raised(answers, code, [1, 2, 3, 4, 5]):
        old, new = recommend_model(CONFIG, before), recommend_model(CONFIG, after)
        assert new.scores["full_service"] >= old.scores["full_service"]
        assert new.scores["fsp"] <= old.scores["fsp"]
        if old.model == "full_service":
            assert new.model == "full_service"


@given(answer_sets())
def test_less_internal_capability_never_lowers_full_service(answers):
    if "internal_capabilities" not in answers:
        return
    weaker = {
        **answers,
        "internal_capabilities": {f: max(0, v - 1) for f, v in answers["internal_capabilities"].items()},
    }
    old, new = recommend_model(CONFIG, answers), recommend_model(CONFIG, weaker)
    # Mean capability only moves full-service one way; the mixed feature only touches hybrid.
    assert new.scores["full_service"] >= old.scores["full_service"] - 0.05


@given(answer_sets(), st.sampled_from(["therapeutic_complexity", "senior_support"]))
def test_more_complexity_or_senior_need_never_lowers_boutique_fit(answers, code):
    for before, after in _raised(answers, code, [1, 2, 3, 4, 5]):
        assert recommend_model(CONFIG, after).boutique.score >= recommend_model(CONFIG, before).boutique.score


def _providers(draw_ints):
    kinds = ["full_service_cro", "fsp", "boutique_cro"]
    return [
        provider(
            f"p{i}",
            name=f"Provider {i:02d}",
            kind=kinds[i % 3],
            regions=frozenset(REGIONS[: 1 + (i % 5)]),
            capabilities={f: (1 + (i + j) % 5, 10) for j, f in enumerate(FUNCTIONS) if (i + j) % 3},
            expertise={a: 1 + (i * j) % 5 for j, a in enumerate(AREAS) if (i + j) % 4 == 0},
            senior_access=1 + i % 5,
            data_governance_maturity=1 + (i * 7) % 5,
            ai_capabilities=frozenset(AI[: i % 4]),
            engagement_models=frozenset(["full_service", "fsp", "hybrid"][: 1 + i % 3]),
        )
        for i in draw_ints
    ]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(answer_sets(), st.lists(st.integers(0, 60), min_size=1, max_size=25, unique=True))
def test_shortlist_is_ranked_bounded_and_deterministic(answers, provider_numbers):
    providers = _providers(provider_numbers)
    context = SponsorContext(regions=("europe", "north_america"), all_regions=tuple(REGIONS), names={})
    first = recommend(CONFIG, answers, context=context, providers=providers)
    again = recommend(CONFIG, answers, context=context, providers=list(reversed(providers)))
    assert first.shortlist == again.shortlist
    scores = [e.score for e in first.shortlist]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)
    assert len(first.shortlist) == min(len(providers), 10)
    assert all(e.reasons for e in first.shortlist)
