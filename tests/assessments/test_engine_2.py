"""Engine 2.0 on sponsor cases of our own: explanations true to the answers, plans and shortlists
that follow the model, where the program runs, and the one rounding rule."""

import pytest

from assessments.engine import SponsorContext, recommend
from assessments.figures import format_points, format_signed, percent, points
from assessments.matching import match_needs, rank_providers
from assessments.scoring import ENGINE_VERSION, recommend_model
from tests.assessments.reference import (
    FUNCTIONS,
    LARGE_PHARMA_TARGETED_GAPS,
    REGIONS,
    for_v2,
    matrix,
    neutral_answers,
    provider,
    reference_config,
    reference_config_v2,
)

V1, V2 = reference_config(), reference_config_v2()
DATA_SCIENCES = ["biostatistics", "statistical_programming", "clinical_data_management"]


def _drivers(result, question, target=None):
    return [d for d in result.drivers if d.question == question and (target is None or d.target == target)]


# --- Explanations that never contradict the answer -------------------------------------------------


def test_weak_clinical_leadership_is_explained_as_weak():
    result = recommend_model(V2, for_v2(neutral_answers(clinical_leadership=2)))
    full_service = _drivers(result, "clinical_leadership", "full_service")[0]
    assert full_service.direction == "low" and full_service.points > 0
    assert full_service.sentence.startswith("Clinical leadership: 2 of 5 — favours full-service CRO")
    assert "With little clinical leadership in-house" in full_service.sentence
    assert not any(
        "Strong clinical leadership" in d.sentence for d in _drivers(result, "clinical_leadership")
    )


def test_no_platform_of_ones_own_is_explained_as_no():
    result = recommend_model(V2, for_v2(neutral_answers(sponsor_ai_platform=False)))
    sentences = [d.sentence for d in _drivers(result, "sponsor_ai_platform")]
    assert sentences and all(s.startswith("Own AI platform: no — ") for s in sentences)
    assert not any("your platform keeps its value" in s for s in sentences)
    assert any("FSP teams would have to bring or borrow one" in s for s in sentences)


def test_an_fsp_result_says_what_speaks_against_fsp_itself():
    answers = for_v2({**LARGE_PHARMA_TARGETED_GAPS, "timeline_pressure": 5, "budget_flexibility": 5})
    result = recommend_model(V2, answers)
    assert result.model == "fsp"
    against = result.driver_groups.against
    assert any(d.target == "fsp" and d.question == "timeline_pressure" for d in against)
    assert all((d.target, d.points < 0) in (("fsp", True), (result.runner_up, False)) for d in against)
    assert result.driver_groups.for_[0].target in ("fsp", result.runner_up)


def test_the_alternative_is_the_runner_up_with_its_margin():
    result = recommend_model(V2, for_v2(neutral_answers()))
    alternative = result.driver_groups.alternative
    assert alternative.model == result.runner_up != result.model
    assert alternative.margin == points(result.scores[result.model] - result.scores[alternative.model])


def test_a_hybrid_with_one_function_to_mix_is_not_recommended_and_the_engine_says_why():
    answers = for_v2(
        neutral_answers(
            outsourcing_scope="specific_functions",
            functions_to_outsource=["biostatistics"],
            internal_capabilities=matrix([3, 3, 3, 3, 0, 0, 0, 0, 3, 0, 0, 3, 0, 0]),
            therapeutic_areas=["oncology", "cardiovascular"],
        )
    )
    result = recommend_model(V2, answers)
    assert result.scores["hybrid"] > max(result.scores["full_service"], result.scores["fsp"])
    assert result.model != "hybrid"
    assert any("nothing to mix" in note for note in result.driver_groups.notes)


# --- Plans that follow the model -------------------------------------------------------------------

SERIES_B_ONCOLOGY = for_v2(
    neutral_answers(
        sponsor_profile="emerging_biotech",
        internal_capabilities=matrix([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        clinical_leadership=2,
        oversight_capacity=2,
        outsourcing_scope="entire_program",
        geographic_footprint="single_country",
        timeline_pressure=4,
        end_to_end_accountability=4,
        strategic_control=2,
        therapeutic_areas=["oncology"],
        therapeutic_complexity=5,
        senior_support=4,
        data_governance_maturity=2,
    ),
    functions=[
        "clinical_operations",
        "site_management_monitoring",
        "project_management",
        "clinical_data_management",
        "biostatistics",
        "statistical_programming",
        "medical_monitoring",
        "pharmacovigilance",
    ],
    regions=["europe"],
)


def test_an_entire_program_outsources_only_the_functions_listed_and_flags_the_rest():
    result = recommend_model(V2, SERIES_B_ONCOLOGY)
    assert result.model == "full_service"
    plan = {p.function: p.delivery for p in result.plan}
    assert set(plan) == set(SERIES_B_ONCOLOGY["functions_to_outsource"])
    assert plan["clinical_operations"] == "full_service"
    assert plan["biostatistics"] == "boutique"  # specialised, oncology at complexity 5
    gaps = {g.function: g.reason for g in result.plan_gaps}
    assert set(gaps) == {
        "regulatory_affairs",
        "clinical_programming",
        "medical_writing",
        "quality_assurance",
        "real_world_evidence",
        "medical_affairs",
    }
    assert all("decide with your account manager" in reason for reason in gaps.values())


def test_a_v1_entire_program_says_it_assumed_every_function():
    answers = neutral_answers(outsourcing_scope="entire_program", internal_capabilities=matrix(0))
    answers.pop("functions_to_outsource")
    plan = recommend_model(V1, answers).plan
    assert [p.function for p in plan] == FUNCTIONS
    assert all(p.reason.startswith("Part of the entire program you hand over") for p in plan)


@pytest.mark.parametrize(
    ("levels", "plan"),
    [
        # Limited capability everywhere: routine work to a full-service partner, specialised to FSP.
        (
            [1] * 14,
            {
                "clinical_operations": "full_service",
                "project_management": "full_service",
                "biostatistics": "fsp",
            },
        ),
        # Different capabilities: the weakest to the full-service partner.
        (
            [2, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
            {"clinical_operations": "fsp", "site_management_monitoring": "full_service"},
        ),
        # No capability in either: the specialised one becomes a targeted team.
        (
            [0, 3, 3, 3, 3, 3, 3, 3, 0, 3, 3, 3, 0, 0],
            {"clinical_operations": "full_service", "medical_writing": "fsp"},
        ),
        # Alike in every way: one is split off, and its reason says so.
        (
            [3, 3, 3, 3, 3, 1, 1, 3, 3, 3, 3, 3, 0, 0],
            {"biostatistics": "full_service", "statistical_programming": "fsp"},
        ),
    ],
)
def test_a_hybrid_plan_mixes_outsourced_delivery_models(levels, plan):
    answers = for_v2(
        neutral_answers(
            internal_capabilities=dict(zip(FUNCTIONS, levels, strict=True)),
            functions_to_outsource=list(plan),
            therapeutic_complexity=2,
            timeline_pressure=3,
        )
    )
    result = recommend_model(V2, answers)
    assert result.model == "hybrid"
    assert {p.function: p.delivery for p in result.plan if p.delivery != "in_house"} == plan
    groups = [g.delivery for g in result.delivery_groups]
    assert groups == sorted(groups, key=["full_service", "fsp", "boutique", "in_house"].index)
    if "statistical_programming" in plan:
        reason = next(p.reason for p in result.plan if p.function == "biostatistics")
        assert "You rate the functions you outsource alike" in reason and "swap it" in reason


def test_the_hybrid_plan_of_a_mixed_sponsor_keeps_strengths_in_house():
    answers = for_v2(
        neutral_answers(
            internal_capabilities=matrix([3, 3, 3, 3, 1, 0, 0, 0, 3, 0, 0, 3, 0, 0]),
            functions_to_outsource=["clinical_data_management", "clinical_programming", "biostatistics"],
            therapeutic_complexity=2,
        )
    )
    result = recommend_model(V2, answers)
    assert result.model == "hybrid"
    plan = {p.function: p.delivery for p in result.plan}
    assert plan["clinical_data_management"] == "fsp"  # limited: you can steer it
    assert plan["clinical_programming"] == "full_service"  # none: a partner owns it
    assert plan["clinical_operations"] == "in_house"


# --- Shortlists that serve the plan ----------------------------------------------------------------

CONTEXT = SponsorContext(regions=("europe", "north_america"), all_regions=tuple(REGIONS), names={})


def _fsp_data_sciences():
    return for_v2(
        {
            **LARGE_PHARMA_TARGETED_GAPS,
            "functions_to_outsource": DATA_SCIENCES,
            "geographic_footprint": "single_region",
            "therapeutic_areas": ["cardiovascular"],
        },
        regions=["europe"],
    )


def test_a_global_full_service_cro_does_not_top_an_fsp_data_sciences_shortlist():
    giant = provider(
        "giant",
        name="Atlas Global CRO",
        kind="full_service_cro",
        regions=frozenset(REGIONS),
        engagement_models=frozenset({"full_service"}),
        capabilities=dict.fromkeys(FUNCTIONS, (5, 200)),
        expertise={"cardiovascular": 5},
        senior_access=5,
        data_governance_maturity=5,
    )
    specialist = provider(
        "spec",
        name="Quanta Data Sciences",
        kind="fsp",
        regions=frozenset({"europe"}),
        engagement_models=frozenset({"fsp"}),
        capabilities=dict.fromkeys(DATA_SCIENCES, (4, 40)),
        expertise={"cardiovascular": 3},
    )
    outcome = recommend(V2, _fsp_data_sciences(), context=CONTEXT, providers=[giant, specialist])
    assert outcome.result.model == "fsp"
    fsp = [e for e in outcome.shortlist if e.delivery == "fsp"]
    assert [e.name for e in fsp] == ["Quanta Data Sciences", "Atlas Global CRO"]
    assert fsp[1].score > fsp[0].score  # the better raw match still comes second
    assert "Does not offer FSP teams: listed after the providers that do." in fsp[1].reasons
    assert "Offers FSP teams, the delivery model of this group." in fsp[0].reasons


def test_level_providers_are_ordered_by_something_explainable_not_by_name():
    def twin(pid, name, capacity):
        return provider(
            pid,
            name=name,
            kind="fsp",
            regions=frozenset({"europe"}),
            engagement_models=frozenset({"fsp"}),
            capabilities=dict.fromkeys(DATA_SCIENCES, (4, capacity)),
        )

    entries = recommend(
        V2,
        _fsp_data_sciences(),
        context=CONTEXT,
        providers=[twin("a", "Alpha Analytics", 30), twin("z", "Zeta Statistics", 90)],
    ).shortlist
    assert [e.name for e in entries] == ["Zeta Statistics", "Alpha Analytics"]
    assert entries[0].score == entries[1].score
    assert (
        "Level with Alpha Analytics at "
        f"{format_points(entries[0].score)}; placed ahead for capacity in this group's functions "
        "(270 FTE against 90 FTE)." in entries[0].reasons
    )


def test_a_hybrid_gets_a_shortlist_per_delivery_group():
    answers = for_v2(
        neutral_answers(
            internal_capabilities=matrix([3, 3, 3, 3, 1, 0, 0, 0, 3, 0, 0, 3, 0, 0]),
            functions_to_outsource=["clinical_data_management", "clinical_programming", "biostatistics"],
            therapeutic_complexity=2,
        )
    )
    full = provider("f", name="Full Co", engagement_models=frozenset({"full_service"}))
    fsp = provider("s", name="Team Co", kind="fsp", engagement_models=frozenset({"fsp"}))
    outcome = recommend(V2, answers, context=CONTEXT, providers=[full, fsp])
    assert outcome.result.model == "hybrid"
    firsts = {e.delivery: e.name for e in outcome.shortlist if e.rank == 1}
    assert firsts == {"full_service": "Full Co", "fsp": "Team Co"}
    needs = {
        n.delivery: n.functions
        for n in match_needs(outcome.result, outcome.answers, sponsor_regions=(), all_regions=REGIONS)
    }
    plan = {p.function: p.delivery for p in outcome.result.plan}
    for delivery, functions in needs.items():
        assert all(plan[f] == delivery for f in functions)


def test_matching_uses_where_the_program_runs_not_the_sponsors_first_region():
    answers = _fsp_data_sciences()  # a single-region program in Europe
    context = SponsorContext(regions=("north_america", "europe"), all_regions=tuple(REGIONS), names={})
    american = provider(
        "us",
        name="Americas FSP",
        kind="fsp",
        regions=frozenset({"north_america"}),
        engagement_models=frozenset({"fsp"}),
    )
    european = provider(
        "eu",
        name="Europa FSP",
        kind="fsp",
        regions=frozenset({"europe"}),
        engagement_models=frozenset({"fsp"}),
    )
    entries = {
        e.name: e for e in recommend(V2, answers, context=context, providers=[american, european]).shortlist
    }
    assert entries["Europa FSP"].components["regions"] == 1.0
    assert entries["Americas FSP"].components["regions"] == 0.0
    assert "Serves 1 of the region where your program runs (Europe)." in entries["Europa FSP"].reasons


def test_a_v1_single_region_program_counts_any_of_the_sponsors_regions_and_says_why():
    result = recommend_model(V1, neutral_answers(geographic_footprint="single_region"))
    (needs, *_) = match_needs(
        result, result._explanation.answers, sponsor_regions=("asia_pacific", "europe"), all_regions=REGIONS
    )
    assert needs.regions == ("asia_pacific", "europe") and needs.regions_any
    european = provider("eu", name="Europa", regions=frozenset({"europe"}))
    (entry,) = rank_providers(
        V1, needs, [european], names={"europe": "Europe", "asia_pacific": "Asia-Pacific"}
    )
    assert entry.components["regions"] == 1.0
    assert any("did not ask where the program runs" in r for r in entry.reasons)


# --- One rounding rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [(52.45, "52.5"), (52.44, "52.4"), (0.05, "0.1"), (2.25, "2.3"), (99.95, "100.0"), (-3.85, "-3.9")],
)
def test_points_round_half_away_from_zero(value, shown):
    assert format_points(value) == shown
    assert format_points(points(value)) == shown  # rounding what is stored changes nothing


def test_signed_effects_and_percentages_use_the_same_rule():
    assert (format_signed(3.85), format_signed(-3.85), format_signed(0.04)) == ("+3.9", "-3.9", "0.0")
    assert (percent(0.335), percent(0.3349), percent(1.0)) == (34, 33, 100)


def test_a_drivers_number_reads_the_same_as_its_sentence():
    for driver in recommend_model(V2, for_v2(neutral_answers(clinical_leadership=2))).drivers:
        assert f"({format_signed(driver.points)} points)" in driver.sentence


def test_engine_version_is_2():
    assert ENGINE_VERSION == "2.0.0"
    assert recommend_model(V2, for_v2(neutral_answers())).engine_version == "2.0.0"
