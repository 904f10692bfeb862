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


SAFE_LEAD = 0.2  # a lead this large before rounding survives rounding every score (each moves ≤ 0.05)


def _pairs(result: ModelRecommendation, singles: list[Trial]):
    """Every pair of non-flipping one-step changes to two different answers that changes the model.

    Steps of one answer that leave the same totals (adding any routine function, say) are one
    class, scored once per pair of classes. A pair whose model keeps a lead of SAFE_LEAD before
    rounding is settled without rounding; the rest are scored exactly as `recommend_model` would.
    Steps that reach the same questions (a scope and the list it shows or hides) are scored from
    scratch, one pair at a time."""
    e = result._explanation
    config, counted, model = e.config, e.answers, result.model
    base_totals, base_spans = e.totals, e.spans
    classes: dict[tuple, list[Trial]] = {}
    for trial in singles:
        if trial.model == model:
            key = (trial.steps[0].question, trial.totals, trial.spans, trial.hybrid_ok)
            classes.setdefault(key, []).append(trial)
    groups = list(classes.values())
    index = {"full_service": 0, "fsp": 1, "hybrid": 2}[model]
    balance = config._balance_points
    b0, b1, b2 = base_totals[0], base_totals[1], base_totals[2]
    c0, c1, c2 = base_spans[0], base_spans[1], base_spans[2]
    for i, first_group in enumerate(groups):
        first = first_group[0]
        code = first.steps[0].question
        for second_group in groups[i + 1 :]:
            second = second_group[0]
            if second.steps[0].question == code:
                continue
            if first.touches & second.touches:
                for a in first_group:
                    for b in second_group:
                        trial = _exact_trial(config, counted, (a.steps[0], b.steps[0]))
                        if trial is not None and trial.model != model:
                            yield trial
                continue
            if "__listing__" in first.touches:
                ok = first.hybrid_ok
            elif "__listing__" in second.touches:
                ok = second.hybrid_ok
            else:
                ok = e.hybrid_ok
            t0 = first.totals[0] + second.totals[0] - b0
            t1 = first.totals[1] + second.totals[1] - b1
            t2 = first.totals[2] + second.totals[2] - b2
            s0 = first.spans[0] + second.spans[0] - c0
            s1 = first.spans[1] + second.spans[1] - c1
            s2 = first.spans[2] + second.spans[2] - c2
            r0 = 50.0 + 50.0 * t0 / s0 if s0 else 50.0
            r1 = 50.0 + 50.0 * t1 / s1 if s1 else 50.0
            r2 = 50.0 + 50.0 * t2 / s2 if s2 else 50.0
            gap = abs(r0 - r1)
            if gap < 50.0:
                r2 += balance * (1.0 - gap / 50.0)
            raw = [min(100.0, max(0.0, r0)), min(100.0, max(0.0, r1)), min(100.0, max(0.0, r2))]
            ours = raw[index]
            raw[index] = -1.0
            if not ok:
                raw[2] = -1.0
            if model == "hybrid" and not ok:
                pass  # hybrid no longer allowed: scored exactly below
            elif ours - max(raw) >= SAFE_LEAD:
                continue
            totals = tuple(
                a + b - c for a, b, c in zip(first.totals, second.totals, base_totals, strict=True)
            )
            spans = tuple(a + b - c for a, b, c in zip(first.spans, second.spans, base_spans, strict=True))
            scores, winner = _final(config, totals, spans, ok)
            if winner == model:
                continue
            for a in first_group:
                for b in second_group:
                    yield Trial(
                        (a.steps[0], b.steps[0]),
                        scores,
                        winner,
                        ok,
                        totals,  # type: ignore[arg-type]
                        spans,  # type: ignore[arg-type]
                        a.touches | b.touches,
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
