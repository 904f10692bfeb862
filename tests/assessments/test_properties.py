"""Properties of the engine over many generated sponsors (hypothesis), on questionnaires v1 and v2."""

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.engine import SponsorContext, recommend
from assessments.figures import points
from assessments.matching import match_needs, offers, rank_providers
from assessments.planning import OUTSOURCED
from assessments.scoring import MODELS, confidence_score, needs_low_sentence, recommend_model
from tests.assessments.reference import (
    AI,
    AREAS,
    FUNCTIONS,
    REGIONS,
    provider,
    reference_config,
    reference_config_v2,
)

CONFIG = reference_config()
CONFIG_V2 = reference_config_v2()
CONFIGS = {1: CONFIG, 2: CONFIG_V2}
scale = st.integers(1, 5)
SCALES = (
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
)
REGION_COUNTS = {"single_country": (1, 1), "single_region": (1, 1), "multi_region": (2, 5)}


@st.composite
def answer_sets(draw, version=1, complete=False):
    scope = draw(st.sampled_from(["entire_program", "multiple_functions", "specific_functions"]))
    footprint = draw(st.sampled_from(["single_country", "single_region", "multi_region", "global"]))
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
        "geographic_footprint": footprint,
        "portfolio_growth": draw(st.sampled_from(["stable", "growing", "rapid"])),
        "partnership_level": draw(st.sampled_from(["transactional", "collaborative", "strategic"])),
        "therapeutic_areas": draw(st.lists(st.sampled_from(AREAS), min_size=1, max_size=4, unique=True)),
        "ai_capabilities_needed": draw(st.lists(st.sampled_from(AI), max_size=3, unique=True)),
        "sponsor_ai_platform": draw(st.booleans()),
    }
    for code in SCALES:
        answers[code] = draw(scale)
    if scope != "entire_program" or version == 2:
        answers["functions_to_outsource"] = draw(
            st.lists(st.sampled_from(FUNCTIONS), min_size=1, unique=True)
        )
    if version == 2 and footprint != "global":
        low, high = REGION_COUNTS[footprint]
        answers["program_regions"] = draw(
            st.lists(st.sampled_from(REGIONS), min_size=low, max_size=high, unique=True)
        )
    if answers["ai_maturity_required"] < 2 or not answers["ai_capabilities_needed"]:
        answers.pop("ai_capabilities_needed")
    if complete:
        return answers
    # Any question may also be left unanswered.
    dropped = draw(st.lists(st.sampled_from(sorted(answers)), max_size=4, unique=True))
    return {k: v for k, v in answers.items() if k not in dropped}


versioned = st.sampled_from([1, 2]).flatmap(lambda v: st.tuples(st.just(v), answer_sets(version=v)))


# --- Determinism and bounds ------------------------------------------------------------------------


@given(versioned)
def test_same_answers_give_the_same_recommendation(case):
    version, answers = case
    first = recommend_model(CONFIGS[version], answers)
    again = recommend_model(CONFIGS[version], dict(reversed(list(answers.items()))))
    assert first.explained() == again.explained()


@given(versioned)
def test_scores_and_confidence_stay_in_bounds(case):
    version, answers = case
    result = recommend_model(CONFIGS[version], answers)
    assert all(0 <= result.scores[m] <= 100 for m in MODELS)
    assert 0 <= result.confidence <= 1
    assert 0 <= result.boutique.score <= 100
    assert 0 <= result.ai_readiness.score <= 100
    eligible = [m for m in MODELS if m != "hybrid" or _outsourced_count(CONFIGS[version], answers) >= 2]
    assert result.scores[result.model] == max(result.scores[m] for m in eligible)
    assert result.margin == points(result.scores[result.model] - result.scores[result.runner_up])
    if "hybrid" not in eligible and result.scores["hybrid"] >= result.scores[result.model]:
        assert result.driver_groups.notes, "a hybrid left out despite its score must say why"


def _outsourced_count(config, answers) -> int:
    from assessments.planning import listed_functions
    from assessments.scoring import effective_answers

    return len(listed_functions(config, effective_answers(config, answers))[0])


def _raised(answers, code, values):
    for low, high in itertools.pairwise(values):
        yield {**answers, code: low}, {**answers, code: high}


# --- The article's directions ----------------------------------------------------------------------


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


@given(answer_sets(version=2))
def test_less_internal_capability_never_lowers_full_service(answers):
    if "internal_capabilities" not in answers:
        return
    weaker = {
        **answers,
        "internal_capabilities": {f: max(0, v - 1) for f, v in answers["internal_capabilities"].items()},
    }
    old, new = recommend_model(CONFIG_V2, answers), recommend_model(CONFIG_V2, weaker)
    # Mean capability only moves full-service one way; the mixed feature only touches hybrid.
    assert new.scores["full_service"] >= old.scores["full_service"]


@given(answer_sets(), st.sampled_from(["therapeutic_complexity", "senior_support"]))
def test_more_complexity_or_senior_need_never_lowers_boutique_fit(answers, code):
    for before, after in _raised(answers, code, [1, 2, 3, 4, 5]):
        assert recommend_model(CONFIG, after).boutique.score >= recommend_model(CONFIG, before).boutique.score


# --- Sentences that agree with the answer ----------------------------------------------------------


def _weight(config, driver):
    question = config.question(driver.question)
    return next(w for w in question.weights if w.option == driver.option and w.target == driver.target)


def _assert_driver_agrees(config, answers, driver):
    """The sentence shown is the one written for the answer's direction, and says what the signed
    effect does: the verb, the number and the sign all agree."""
    if driver.question == "__balance__":
        assert driver.points > 0 and "favours hybrid" in driver.sentence
        return
    question = config.question(driver.question)
    weight = _weight(config, driver)
    value = answers[driver.question]
    low = driver.direction in ("low", "no")
    why = weight.sentence_low if low else weight.sentence_high
    assert why, f"{driver.question} [{driver.option}] → {driver.target} has no {driver.direction} sentence"
    assert driver.sentence.endswith(" " + why)
    # The direction is the answer's own: checked here from the answer, not from the engine.
    if question.kind == "scale":
        assert driver.direction == ("low" if value < 3 else "high")
    elif question.kind == "boolean":
        assert driver.direction == ("yes" if value else "no")
    elif question.kind == "single":
        assert driver.direction == "chosen" and weight.option == value
    # The sign of the effect is the weight's sign, turned round by a low answer.
    assert (driver.points > 0) == ((weight.weight > 0) != low)
    verb = "favours" if driver.points > 0 else "counts against"
    assert f"— {verb} " in driver.sentence
    assert f"({driver.points:+.1f} points)." in driver.sentence
    assert driver.sentence.startswith(f"{question.label}: {driver.answer} — ")


def _every_answer_value(question):
    """Each value a question can take, enumerated (sampled for lists and the matrix)."""
    if question.kind == "scale":
        return [1, 2, 3, 4, 5]
    if question.kind == "boolean":
        return [True, False]
    if question.kind == "single":
        return list(question.choices)
    if question.kind == "multi":
        specialised = [c for c in question.choices if c in question.specialised]
        routine = [c for c in question.choices if c not in question.specialised]
        values = [[c] for c in question.choices] + [list(question.choices)]
        values += [v for v in (specialised, routine, specialised[:1] + routine[:1]) if v]
        return values
    if question.kind == "matrix":
        return [
            *(dict.fromkeys(question.choices, level) for level in range(4)),
            {c: (3 if i % 2 else 0) for i, c in enumerate(question.choices)},
            {c: i % 4 for i, c in enumerate(question.choices)},
        ]
    return []


@pytest.mark.parametrize("version", [1, 2])
def test_every_answer_of_every_question_gets_the_sentence_for_its_direction(version):
    from tests.assessments.reference import for_v2, neutral_answers

    config = CONFIGS[version]
    base = neutral_answers() if version == 1 else for_v2(neutral_answers())
    seen = set()
    for question in config.questions:
        for value in _every_answer_value(question) if question.weights else ():
            answers = {**base, question.code: value}
            for driver in recommend_model(config, answers).drivers:
                if driver.question == question.code:
                    _assert_driver_agrees(config, answers, driver)
                    side = "low" if driver.direction in ("low", "no") else "high"
                    seen.add((driver.question, driver.option, driver.target, side))
    # Every weight was shown in each direction its answer can take.
    expected = {
        (q.code, w.option, w.target, side)
        for q in config.questions
        for w in q.weights
        for side in (("low", "high") if needs_low_sentence(q.kind, w.option) else ("high",))
    }
    assert expected <= seen, sorted(expected - seen)


@given(versioned)
def test_every_driver_sentence_agrees_with_its_answer_and_effect(case):
    version, answers = case
    result = recommend_model(CONFIGS[version], answers)
    for driver in result.drivers:
        _assert_driver_agrees(CONFIGS[version], result._explanation.answers, driver)


@given(versioned)
def test_drivers_are_grouped_around_the_recommended_model(case):
    version, answers = case
    result = recommend_model(CONFIGS[version], answers)
    groups = result.driver_groups
    model, runner = result.model, result.runner_up
    for driver in groups.for_:
        assert (driver.target, driver.points > 0) in ((model, True), (runner, False))
    for driver in groups.against:
        assert (driver.target, driver.points > 0) in ((model, False), (runner, True))
    assert groups.alternative.model == runner
    assert groups.alternative.margin == result.margin
    assert all(d.target == runner and d.points > 0 for d in groups.alternative.drivers)


CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # a snake_case code, e.g. "full_service"


def _texts(snapshot) -> list[str]:
    texts = [d["sentence"] for d in snapshot["drivers"]]
    texts += [p["reason"] for p in snapshot["function_plan"]] + [g["reason"] for g in snapshot["plan_gaps"]]
    texts += [r for e in snapshot["shortlist"] for r in e["reasons"]]
    texts += [s["sentence"] for s in snapshot["sensitivity"]] + snapshot["driver_groups"]["notes"]
    texts += [snapshot["confidence_basis"]["sentence"], *snapshot["boutique_fit"]["reasons"]]
    texts += [g["summary"] for g in snapshot["delivery_groups"]] + snapshot["ai_readiness"][
        "partner_requirements"
    ]
    texts += [t["sentence"] for t in snapshot["tipping_points"] or []]
    return texts


# --- Plans that follow the model -------------------------------------------------------------------


@given(versioned)
def test_a_hybrid_plan_mixes_at_least_two_outsourced_delivery_models(case):
    version, answers = case
    result = recommend_model(CONFIGS[version], answers)
    if result.model == "hybrid":
        outsourced = {p.delivery for p in result.plan if p.delivery in OUTSOURCED}
        assert len(outsourced) >= 2, result.plan


@given(answer_sets(version=2))
def test_the_plan_outsources_what_was_listed_and_flags_unlisted_functions_without_capability(answers):
    result = recommend_model(CONFIG_V2, answers)
    listed = set(answers.get("functions_to_outsource") or ())
    levels = answers.get("internal_capabilities") or {}
    outsourced = {p.function for p in result.plan if p.delivery != "in_house"}
    assert outsourced == listed
    gaps = {g.function for g in result.plan_gaps}
    assert gaps == {f for f, level in levels.items() if level == 0 and f not in listed}
    kept = {p.function for p in result.plan if p.delivery == "in_house"}
    assert kept == {f for f, level in levels.items() if level > 0 and f not in listed}
    grouped = [f for g in result.delivery_groups for f in g.functions]
    assert sorted(grouped) == sorted(p.function for p in result.plan)


@given(answer_sets(version=2))
def test_a_full_service_or_fsp_plan_outsources_to_its_own_model_or_a_boutique(answers):
    result = recommend_model(CONFIG_V2, answers)
    if result.model in ("full_service", "fsp"):
        assert {p.delivery for p in result.plan} <= {result.model, "boutique", "in_house"}


# --- Shortlists that serve the plan ----------------------------------------------------------------


def _providers(numbers):
    kinds = ["full_service_cro", "fsp", "boutique_cro"]
    return [
        provider(
            f"p{i}",
            name=f"Provider {i:02d}",
            kind=kinds[i % 3],
            regions=frozenset(REGIONS[: 1 + (i % 5)]),
            capabilities={
                f: (1 + (i + j) % 5, 5 + (i * j) % 40) for j, f in enumerate(FUNCTIONS) if (i + j) % 3
            },
            expertise={a: 1 + (i * j) % 5 for j, a in enumerate(AREAS) if (i + j) % 4 == 0},
            senior_access=1 + i % 5,
            data_governance_maturity=1 + (i * 7) % 5,
            ai_capabilities=frozenset(AI[: i % 4]),
            engagement_models=frozenset(["full_service", "fsp", "hybrid"][: 1 + i % 3]),
        )
        for i in numbers
    ]


CONTEXT = SponsorContext(regions=("europe", "north_america"), all_regions=tuple(REGIONS), names={})


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(versioned, st.lists(st.integers(0, 60), min_size=1, max_size=25, unique=True))
def test_each_group_shortlist_is_ranked_bounded_deterministic_and_led_by_its_model(case, numbers):
    version, answers = case
    config = CONFIGS[version]
    providers = _providers(numbers)
    first = recommend(config, answers, context=CONTEXT, providers=providers)
    again = recommend(config, answers, context=CONTEXT, providers=list(reversed(providers)))
    assert first.shortlist == again.shortlist
    size = int(config.param("shortlist_size"))
    groups = [g.delivery for g in first.result.delivery_groups if g.delivery in OUTSOURCED]
    for delivery in groups:
        entries = [e for e in first.shortlist if e.delivery == delivery]
        assert len(entries) == min(len(providers), size)
        assert [e.rank for e in entries] == list(range(1, len(entries) + 1))
        assert all(0 <= e.score <= 100 and e.reasons for e in entries)
        # Providers that offer the group's delivery model come first, each tier by match score.
        tiers = [(not e.offers_delivery, -e.score) for e in entries]
        assert tiers == sorted(tiers)
        if any(offers(p, delivery) for p in providers):
            assert entries[0].offers_delivery
            assert offers(next(p for p in providers if p.id == entries[0].provider_id), delivery)
        # Level scores say why one is placed ahead.
        for ahead, behind in itertools.pairwise(entries):
            if (ahead.offers_delivery, ahead.score) == (behind.offers_delivery, behind.score):
                assert any(r.startswith(f"Level with {behind.name}") for r in ahead.reasons)
    assert {e.delivery for e in first.shortlist} == set(groups)
    # The shortlist is the head of the whole catalog ranked: cutting early loses nobody.
    for needs in match_needs(
        first.result, first.answers, sponsor_regions=CONTEXT.regions, all_regions=REGIONS
    ):
        everyone = rank_providers(config, needs, providers, limit=len(providers))
        head = [(e.provider_id, e.score) for e in first.shortlist if e.delivery == needs.delivery]
        assert head == [(e.provider_id, e.score) for e in everyone][: len(head)]


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40)
@given(versioned, st.lists(st.integers(0, 60), min_size=1, max_size=12, unique=True))
def test_no_code_is_shown_where_a_label_belongs(case, numbers):
    version, answers = case
    snapshot = recommend(
        CONFIGS[version], answers, context=CONTEXT, providers=_providers(numbers), tipping=True
    ).snapshot()
    for text in _texts(snapshot):
        assert not CODE.findall(text), text


# --- Confidence --------------------------------------------------------------------------------------

margins = st.floats(0, 100, allow_nan=False)
spreads = st.floats(0, 100, allow_nan=False)
shares = st.floats(0, 1, allow_nan=False)


@given(margins, spreads, st.integers(0, 200), st.integers(0, 200), shares)
def test_confidence_stays_between_0_and_1_and_is_0_for_a_tie(margin, spread, flips, changes, completeness):
    flips = min(flips, changes)
    value = confidence_score(
        margin=margin, spread=spread, flips=flips, changes=changes, completeness=completeness
    )
    assert 0 <= value <= 1
    if margin == 0:
        assert value == 0


@given(margins, margins, spreads, st.integers(0, 100), shares)
def test_confidence_grows_with_the_margin(a, b, spread, flips, completeness):
    low, high = sorted((a, b))
    kwargs = {"spread": spread, "flips": flips, "changes": 100, "completeness": completeness}
    assert confidence_score(margin=low, **kwargs) <= confidence_score(margin=high, **kwargs)


@given(margins, spreads, spreads, st.integers(0, 100), st.integers(0, 100), shares)
def test_confidence_falls_with_the_spread_and_the_flips(margin, s1, s2, f1, f2, completeness):
    less, more = sorted((s1, s2))
    kwargs = {"margin": margin, "changes": 100, "completeness": completeness}
    assert confidence_score(spread=less, flips=0, **kwargs) >= confidence_score(
        spread=more, flips=0, **kwargs
    )
    fewer, most = sorted((f1, f2))
    assert confidence_score(spread=less, flips=fewer, **kwargs) >= confidence_score(
        spread=less, flips=most, **kwargs
    )


@given(versioned)
def test_confidence_is_computed_from_its_stated_basis(case):
    version, answers = case
    result = recommend_model(CONFIGS[version], answers)
    basis = result.confidence_basis
    assert basis.margin == result.margin
    assert basis.flips == sum(1 for t in result._explanation.trials if t.model != result.model)
    assert result.confidence == confidence_score(
        margin=basis.margin,
        spread=basis.spread,
        flips=basis.flips,
        changes=basis.changes,
        completeness=basis.completeness,
    )
    assert result.confidence < 1 or (basis.spread == 0 and basis.flips == 0)
