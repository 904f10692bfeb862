"""Tipping points: the smallest answer changes that change the model, checked against the engine
itself (every claim is re-scored through `recommend_model`)."""

import pytest
from hypothesis import HealthCheck, given, settings

from assessments.figures import points
from assessments.scoring import effective_answers, missing_required, recommend_model, region_problem
from assessments.steps import one_step_changes
from assessments.tipping import tipping_points
from tests.assessments.reference import (
    EMERGING_BIOTECH_NO_INFRASTRUCTURE,
    LARGE_PHARMA_TARGETED_GAPS,
    MID_SIZE_MIXED_COMPLEX,
    for_v2,
    neutral_answers,
    reference_config,
    reference_config_v2,
)
from tests.assessments.test_properties import CONFIGS, versioned


def _apply(answers, changes):
    return {**answers, **changes}


def _valid(config, before, after) -> bool:
    """A change is tried when it leaves no required question unanswered that was answered (the
    generated answer sets may be incomplete) and the regions still fit the footprint."""
    missing_before = {q.code for q in missing_required(config, before)}
    missing_after = {q.code for q in missing_required(config, after)}
    return missing_after <= missing_before and not region_problem(effective_answers(config, after))


def _single_flips(config, result):
    """Every one-step change of one answer that changes the model, found the slow way."""
    counted = result._explanation.answers
    flips = []
    for question in config.questions:
        if not question.weights:
            continue
        for step in one_step_changes(question, counted.get(question.code)):
            changed = _apply(counted, {step.question: step.value})
            if _valid(config, counted, changed) and recommend_model(config, changed).model != result.model:
                flips.append((step.question, repr(step.value)))
    return flips


def _assert_true_claims(config, result, found):
    counted = result._explanation.answers
    for point in found:
        changed = recommend_model(config, _apply(counted, point.answers))
        assert changed.model == point.model != result.model
        assert dict(changed.scores) == dict(point.scores)
        assert changed.margin == point.lead
        assert point.sentence.startswith("With ")
        if len(point.changes) == 2:  # a pair is never a single change in disguise
            for change in point.changes:
                alone = recommend_model(config, _apply(counted, {change.question: change.value}))
                assert alone.model == result.model
    sizes = [len(p.changes) for p in found]
    assert sizes == sorted(sizes)


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(versioned)
def test_applying_a_tipping_point_gives_the_model_scores_and_lead_it_states(case):
    version, answers = case
    config = CONFIGS[version]
    result = recommend_model(config, answers)
    _assert_true_claims(config, result, tipping_points(result))


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(versioned)
def test_single_tipping_points_are_exactly_the_one_step_changes_that_flip(case):
    version, answers = case
    config = CONFIGS[version]
    result = recommend_model(config, answers)
    found = tipping_points(result, limit=10_000)
    singles = sorted((p.changes[0].question, repr(p.changes[0].value)) for p in found if len(p.changes) == 1)
    assert singles == sorted(_single_flips(config, result))
    if found and len(found[0].changes) == 2:
        assert not _single_flips(config, result)  # no smaller change would do


@pytest.mark.parametrize(
    ("version", "answers"),
    [
        (1, neutral_answers()),
        (1, MID_SIZE_MIXED_COMPLEX),
        (2, for_v2(LARGE_PHARMA_TARGETED_GAPS)),
        (2, for_v2(EMERGING_BIOTECH_NO_INFRASTRUCTURE)),
    ],
)
def test_reference_scenarios_have_true_tipping_points(version, answers):
    config = reference_config() if version == 1 else reference_config_v2()
    result = recommend_model(config, answers)
    found = tipping_points(result)
    _assert_true_claims(config, result, found)
    assert len(found) <= int(config.param("tipping_points"))


def test_a_close_call_tips_with_one_answer_and_says_so_in_words():
    result = recommend_model(reference_config(), neutral_answers())
    found = tipping_points(result)
    assert result.model == "hybrid" and result.confidence_label == "low"
    assert found and all(len(p.changes) == 1 for p in found)
    leadership = next(p for p in found if p.changes[0].question == "clinical_leadership")
    assert leadership.sentence == (
        f"With clinical leadership at 2 instead of 3, the full-service model would lead by "
        f"{points(leadership.lead):.1f} points."
    )


def test_a_clear_call_needs_two_changes_or_none():
    config = reference_config_v2()
    result = recommend_model(config, for_v2(LARGE_PHARMA_TARGETED_GAPS))
    assert result.model == "fsp" and not _single_flips(config, result)
    assert all(len(p.changes) == 2 for p in tipping_points(result))


def test_the_alternative_names_the_change_that_would_tip_to_it():
    from assessments.engine import SponsorContext, recommend

    outcome = recommend(
        reference_config(),
        neutral_answers(),
        context=SponsorContext(regions=("europe",), all_regions=("europe",), names={}),
        providers=[],
        tipping=True,
    )
    snapshot = outcome.snapshot()
    alternative = snapshot["driver_groups"]["alternative"]
    tipping = alternative["tipping_point"]
    assert tipping is not None and tipping["model"] == alternative["model"]
    assert tipping == next(t for t in snapshot["tipping_points"] if t["model"] == alternative["model"])


def test_sensitivity_ranks_answers_by_how_far_one_step_narrows_the_lead():
    result = recommend_model(reference_config(), neutral_answers())
    rows = result.sensitivity
    assert rows
    flipping = [r for r in rows if r.flips]
    steady = [r for r in rows if not r.flips]
    assert rows == tuple(flipping + steady)
    assert [r.narrows_by for r in steady] == sorted((r.narrows_by for r in steady), reverse=True)
    flipped_questions = {
        p.changes[0].question for p in tipping_points(result, limit=1000) if len(p.changes) == 1
    }
    assert len(flipped_questions) <= 10  # the ranking keeps ten answers: here every flipping one
    assert {r.question for r in flipping} == flipped_questions
    assert all(r.narrows_by >= result.margin for r in flipping)
