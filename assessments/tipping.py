"""Tipping points: the smallest changes of a sponsor's answers that would change the model.

Pure Python. Every answer is moved by one step (`assessments.steps`); the changes that change the
recommended model are tipping points of size 1. When fewer than the wanted number exist, pairs of
one-step changes to two different answers are tried, keeping only pairs where neither change
alone changes the model (so a pair is never a single change in disguise): those are tipping
points of size 2. A change that would reveal a required question nobody answered, or leave the
program's regions at odds with its footprint, is not tried.

Ranking: fewer changed answers first; then the larger lead the new model would have (the clearer
the tip); then the questionnaire's order of the changed answers. Scores of changed answers come
from the same integer sums as `recommend_model` (see `assessments.scoring`), so applying a tipping
point's changes to the answers gives exactly the model, scores and lead it states.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessments.figures import format_points
from assessments.scoring import (
    MODEL_LABELS,
    MODEL_NAMES,
    MODELS,
    TARGET_INDEX,
    ModelRecommendation,
    Trial,
    _exact_trial,
    _final,
)
from assessments.steps import describe_step


@dataclass(frozen=True, slots=True)
class AnswerChange:
    question: str
    label: str
    value: Any  # the whole new answer, as the what-if takes it
    words: str


@dataclass(frozen=True, slots=True)
class TippingPoint:
    changes: tuple[AnswerChange, ...]
    model: str
    label: str
    lead: float
    scores: Mapping[str, float]
    sentence: str

    @property
    def answers(self) -> dict[str, Any]:
        """The changed answers, as question code → new value."""
        return {change.question: change.value for change in self.changes}


def _pairs(result: ModelRecommendation, singles: list[Trial]):
    """Every pair of non-flipping one-step changes to two different answers, scored."""
    e = result._explanation
    config, counted = e.config, e.answers
    base_totals, base_spans = e.totals, e.spans
    calm = [t for t in singles if t.model == result.model]
    for i, first in enumerate(calm):
        code = first.steps[0].question
        for second in calm[i + 1 :]:
            if second.steps[0].question == code:
                continue
            if first.touches & second.touches:
                trial = _exact_trial(config, counted, (first.steps[0], second.steps[0]))
                if trial is not None and trial.model != result.model:
                    yield trial
                continue
            totals = tuple(
                a + b - c for a, b, c in zip(first.totals, second.totals, base_totals, strict=True)
            )
            spans = tuple(a + b - c for a, b, c in zip(first.spans, second.spans, base_spans, strict=True))
            if "__listing__" in first.touches:
                ok = first.hybrid_ok
            elif "__listing__" in second.touches:
                ok = second.hybrid_ok
            else:
                ok = e.hybrid_ok
            scores, model = _final(config, totals, spans, ok)
            if model != result.model:
                yield Trial(
                    (first.steps[0], second.steps[0]),
                    scores,
                    model,
                    ok,
                    totals,  # type: ignore[arg-type]
                    spans,  # type: ignore[arg-type]
                    first.touches | second.touches,
                )


def _sentence(changes: tuple[AnswerChange, ...], model: str, lead: float, scores: Mapping[str, float]) -> str:
    words = " and ".join(change.words for change in changes)
    if lead > 0:
        return f"With {words}, the {MODEL_NAMES[model]} model would lead by {format_points(lead)} points."
    level = [m for m in MODELS if m != model and scores[m] == scores[model]]
    return (
        f"With {words}, the {MODEL_NAMES[model]} model would draw level with the "
        f"{MODEL_NAMES[level[0]] if level else 'next'} model at {format_points(scores[model])} points and "
        f"be recommended: ties go to full-service, then FSP, then hybrid."
    )


def tipping_points(result: ModelRecommendation, *, limit: int | None = None) -> tuple[TippingPoint, ...]:
    """The smallest answer changes that change this recommendation's model, best first."""
    e = result._explanation
    config, counted = e.config, e.answers
    wanted = int(config.param("tipping_points")) if limit is None else limit
    singles = list(e.trials)
    flips = [t for t in singles if t.model != result.model]
    if len(flips) < wanted:
        flips.extend(_pairs(result, singles))
    order = config._order
    tried = {id(trial.steps[0]): index for index, trial in enumerate(singles)}

    def rank(trial: Trial):
        return (
            len(trial.steps),
            -trial.lead(),
            tuple(order[s.question] for s in trial.steps),
            tuple(tried[id(s)] for s in trial.steps),
        )

    chosen = sorted(flips, key=rank)[:wanted]
    points_out = []
    for trial in chosen:
        changes = tuple(
            AnswerChange(
                step.question,
                config.question(step.question).label,
                step.value,
                describe_step(config.question(step.question), counted.get(step.question), step),
            )
            for step in trial.steps
        )
        scores = {m: trial.scores[TARGET_INDEX[m]] for m in MODELS}
        lead = trial.lead()
        points_out.append(
            TippingPoint(
                changes,
                trial.model,
                MODEL_LABELS[trial.model],
                lead,
                scores,
                _sentence(changes, trial.model, lead, scores),
            )
        )
    return tuple(points_out)
