"""The recommendation engine: answers in, an explained outsourcing-model recommendation out.

Pure Python on purpose (dataclasses in and out, no ORM), so it is deterministic, exhaustively
testable and fast. What moves which model, and by how much, is data: every question carries
weights per target (`full_service`, `fsp`, `hybrid`, and `boutique` for the boutique fit), and each
weight a sentence for each direction of the answer, stored with the questionnaire and editable by
account managers in a draft version.

How a score is made. Each answer becomes one or more signals in [-1, 1]:
- scale (1–5): (value − 3) / 2, so 1 → −1, 3 → 0, 5 → +1;
- number: its position between the question's minimum and maximum, mapped to [-1, 1];
- boolean: yes → +1, no → −1;
- single choice: the chosen choice's own weight applies in full (signal +1);
- multiple choice and the function matrix: derived features (see `FEATURES`), such as the share
  of the catalog chosen, the share of specialised areas, the mean internal capability or how
  mixed in-house strength is.
A target's score is 50 + 50 × Σ(weight × signal) / Σ|largest weight| over the answered questions:
each answer can move a score only as far as its weight allows, and every score stays in 0–100.
Each weight × signal is kept as an integer count of 10⁻⁹ weight units, so a sum never depends on
the order it was added in: the tipping points below change one or two answers and re-add, and what
they claim is exactly what `recommend_model` gives for the changed answers. Hybrid also gains
when the full-service and FSP scores are close (`hybrid_balance_points`): mixed signals are what
make a hybrid strategy. Scores are rounded to one decimal (`assessments.figures.points`, the one
rounding rule) and the model with the highest score wins, ties going to full-service, then FSP,
then hybrid. Hybrid is recommended only when at least two functions are outsourced: a hybrid mixes
delivery models across functions, and one function cannot be mixed.

Explanations. A driver is one weight's share of a score, in points, with the sentence written for
the direction of the answer: a low answer (signal below 0, or "no") gets the weight's low sentence,
a high one (or "yes", or a chosen option) its high sentence. Drivers are grouped around the
recommendation: `for` (what raised the recommended model or lowered the runner-up), `against`
(what lowered the recommended model or raised the runner-up) and the `alternative` (the runner-up
and its margin).

Confidence. Every answer is moved by one step (`assessments.steps`) and the scores are recomputed.
With m the recommended model's lead over the runner-up, d_q the most one step of answer q can
narrow that lead (0 when no step narrows it), s = √(mean over the answers with a step of d_q²) the
spread of plausible answers, f the one-step changes that change the model out of the n tried, and c
the share of visible questions answered:

    confidence = c × m / (m + s) × (1 − f / n)

(m / (m + s) is 0 when m is 0 and 1 when s is 0 < m; 1 − f / n is 1 when nothing was tried). It is
0 for a tie, grows with the lead, falls as the spread or the number of flipping changes grows, and
stays within 0–1. Labels: high from 0.67, moderate from 0.34, low below. The same single-step
trials give the `sensitivity`: the ten answers one step of which narrows the lead most (those
that can change the model first).
(Questionnaire v1's `confidence_full_margin` parameter belonged to engine 1's confidence, a
margin of 15 points being full confidence; engine 2 does not read it.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from assessments.figures import format_points, format_signed, points
from assessments.planning import (
    DeliveryGroup,
    Plan,
    PlanGap,
    PlanItem,
    listed_functions,
    plan_functions,
)
from assessments.steps import MATRIX_LEVELS, MATRIX_MAX, Step, describe_step, one_step_changes

__all__ = [
    "DEFAULT_PARAMETERS",
    "ENGINE_VERSION",
    "FEATURES",
    "KINDS",
    "MATRIX_LEVELS",
    "MATRIX_MAX",
    "MODELS",
    "SHOW_IF_OPERATORS",
    "TARGETS",
    "AIReadiness",
    "BoutiqueFit",
    "ConfidenceBasis",
    "DeliveryGroup",
    "Driver",
    "DriverGroups",
    "EngineConfig",
    "FunctionSpec",
    "ModelRecommendation",
    "PlanGap",
    "PlanItem",
    "QuestionSpec",
    "Sensitivity",
    "ShowIf",
    "Weight",
    "confidence_score",
    "effective_answers",
    "missing_required",
    "needs_low_sentence",
    "recommend_model",
    "region_problem",
    "visible_questions",
]

ENGINE_VERSION = "2.0.0"

MODELS = ("full_service", "fsp", "hybrid")
TARGETS = (*MODELS, "boutique")
TARGET_LABELS = {
    "full_service": "full-service CRO",
    "fsp": "FSP",
    "hybrid": "hybrid",
    "boutique": "a boutique partner",
}
MODEL_LABELS = {"full_service": "Full-service CRO", "fsp": "FSP", "hybrid": "Hybrid"}
MODEL_NAMES = {"full_service": "full-service", "fsp": "FSP", "hybrid": "hybrid"}  # "the FSP model"
KINDS = ("single", "multi", "scale", "boolean", "number", "matrix")

# Derived features a weight's `option` may name, by question kind. The value is the signal.
FEATURES = {
    "multi": ("__share__", "__specialised_share__", "__mixed_specialisation__"),
    "matrix": ("__mean__", "__mixed__"),
}

DEFAULT_PARAMETERS: dict[str, Any] = {
    "hybrid_balance_points": 8.0,
    "boutique_complexity_threshold": 4,
    "boutique_fit_threshold": 55.0,
    "in_house_level": 2,
    "shortlist_size": 5,
    "shortlist_weights": {"functions": 40, "therapeutic": 20, "regions": 15, "ai": 15, "senior": 10},
    "ai_readiness_weights": {"governance": 0.6, "platform": 0.4},
    "tipping_points": 5,
}

CONFIDENCE_LABELS = ((0.67, "high"), (0.34, "moderate"), (0.0, "low"))
SENSITIVITY_LIMIT = 10  # answers kept in the sensitivity ranking
QUANTUM = 10**9  # contributions are counted in 10⁻⁹ of a weight unit


# --- Inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Weight:
    option: str  # a choice value, a derived feature (FEATURES) or "" for the answer itself
    target: str
    weight: float
    rationale: str = ""  # for account managers: why the weight exists
    sentence_low: str = ""  # shown to the sponsor when the answer is low (or "no")
    sentence_high: str = ""  # shown when it is high (or "yes", or the option was chosen)


@dataclass(frozen=True, slots=True)
class ShowIf:
    question: str
    operator: str  # equals, not_equals, in, not_in, gte, lte, includes
    value: Any

    def holds(self, answer: Any) -> bool:
        if answer is None:
            return False
        op, expected = self.operator, self.value
        if op == "equals":
            return answer == expected
        if op == "not_equals":
            return answer != expected
        if op == "in":
            return answer in expected
        if op == "not_in":
            return answer not in expected
        if op == "includes":
            return isinstance(answer, list | tuple) and expected in answer
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            return False
        if op == "gte":
            return answer >= expected
        if op == "lte":
            return answer <= expected
        return False


SHOW_IF_OPERATORS = ("equals", "not_equals", "in", "not_in", "gte", "lte", "includes")


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    code: str
    kind: str
    label: str
    choices: tuple[str, ...] = ()
    choice_labels: Mapping[str, str] = field(default_factory=dict)
    specialised: frozenset[str] = frozenset()  # choices flagged specialised in their catalog
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    show_if: ShowIf | None = None
    weights: tuple[Weight, ...] = ()
    text: str = ""
    help_text: str = ""  # what the sponsor reads under the question (e.g. what 1 and 5 mean)
    section: int = 0  # the section's place in the questionnaire (0 = first)


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    code: str
    name: str
    specialised: bool


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine needs that is not an answer: questions, weights, catalogs, knobs."""

    questions: tuple[QuestionSpec, ...]
    functions: tuple[FunctionSpec, ...]
    parameters: Mapping[str, Any] = field(default_factory=lambda: DEFAULT_PARAMETERS)
    questionnaire_version: str = ""

    def __post_init__(self):
        object.__setattr__(self, "_by_code", {q.code: q for q in self.questions})
        scored = _compile(self.questions)
        object.__setattr__(self, "_scored", scored)
        object.__setattr__(self, "_scored_by_code", {s.question.code: s for s in scored})
        dependents: dict[str, list[QuestionSpec]] = {}
        for question in self.questions:
            if question.show_if is not None:
                dependents.setdefault(question.show_if.question, []).append(question)
        object.__setattr__(self, "_dependents", {k: tuple(v) for k, v in dependents.items()})
        touches = {}
        for question in self.questions:
            reach = {question.code, *(d.code for d in dependents.get(question.code, ()))}
            if question.code in _LISTING:
                reach.add("__listing__")
            if question.code in _REGIONS:
                reach.add("__regions__")
            touches[question.code] = frozenset(reach)
        object.__setattr__(self, "_touches", touches)
        object.__setattr__(self, "_order", {q.code: i for i, q in enumerate(self.questions)})
        object.__setattr__(self, "_balance_points", float(self.param("hybrid_balance_points")))

    def question(self, code: str) -> QuestionSpec | None:
        return self._by_code.get(code)

    def param(self, name: str) -> Any:
        return self.parameters.get(name, DEFAULT_PARAMETERS[name])


# --- Outputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Driver:
    question: str
    label: str
    option: str
    target: str
    points: float  # signed, rounded by assessments.figures.points
    answer: str
    direction: str  # low, high (scales, numbers, features), yes, no, chosen (an option)
    sentence: str


@dataclass(frozen=True, slots=True)
class Alternative:
    model: str
    label: str
    score: float
    margin: float
    drivers: tuple[Driver, ...]  # what speaks for the alternative


@dataclass(frozen=True, slots=True)
class DriverGroups:
    for_: tuple[Driver, ...]
    against: tuple[Driver, ...]
    alternative: Alternative | None
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConfidenceBasis:
    margin: float
    spread: float
    flips: int
    changes: int
    completeness: float
    sentence: str


@dataclass(frozen=True, slots=True)
class Sensitivity:
    question: str
    label: str
    answer: str
    change: str  # the one-step change that narrows the lead most, in words
    narrows_by: float
    flips: bool
    model: str  # the model that change leads to (the recommended one when it does not flip)
    sentence: str


@dataclass(frozen=True, slots=True)
class BoutiqueFit:
    score: float
    level: str
    reasons: tuple[str, ...]
    functions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AIReadiness:
    score: float
    level: str
    summary: str
    strengths: tuple[str, ...]
    partner_requirements: tuple[str, ...]
    capabilities_needed: tuple[str, ...]
    minimum_partner_maturity: int


@dataclass(frozen=True, slots=True)
class Trial:
    """One changed answer (or two) and what the engine makes of it."""

    steps: tuple[Step, ...]
    scores: tuple[float, float, float]  # full-service, FSP, hybrid
    model: str
    hybrid_ok: bool
    totals: tuple[int, int, int, int]
    spans: tuple[int, int, int, int]
    touches: frozenset[str]  # questions (and "__listing__", "__regions__") the steps reach
    narrowing: float = 0.0  # how far the recommended model's lead narrows (the whole lead if it flips)

    def lead(self) -> float:
        """The winning model's lead over the best other model it was compared with."""
        return _lead(self.scores, self.model, self.hybrid_ok)


@dataclass(frozen=True, eq=False)
class _Explanation:
    """What the engine recorded while scoring, from which the explanations are built on demand."""

    config: EngineConfig
    answers: Mapping[str, Any]
    moves: tuple[Any, ...]
    spans: tuple[int, int, int, int]
    totals: tuple[int, int, int, int]
    gap: float
    bonus: float
    boutique_score: float
    hybrid_ok: bool
    runner_up: str
    margin: float
    trials: tuple[Trial, ...]
    basis: ConfidenceBasis


@dataclass(frozen=True)
class ModelRecommendation:
    """The scores and confidence are computed eagerly; drivers, plan, boutique fit, AI readiness
    and sensitivity are built from what was recorded the first time they are read."""

    model: str
    scores: Mapping[str, float]
    confidence: float
    confidence_label: str
    engine_version: str = ENGINE_VERSION
    _explanation: _Explanation | None = field(default=None, repr=False, compare=False)

    @property
    def runner_up(self) -> str:
        return self._explanation.runner_up

    @property
    def margin(self) -> float:
        return self._explanation.margin

    @property
    def confidence_basis(self) -> ConfidenceBasis:
        return self._explanation.basis

    @cached_property
    def drivers(self) -> tuple[Driver, ...]:
        return _drivers(self._explanation)

    @cached_property
    def driver_groups(self) -> DriverGroups:
        return _group_drivers(self, self.drivers)

    @cached_property
    def _plan(self) -> Plan:
        e = self._explanation
        return plan_functions(e.config, e.answers, self.model, e.boutique_score)

    @property
    def plan(self) -> tuple[PlanItem, ...]:
        return self._plan.items

    @property
    def plan_gaps(self) -> tuple[PlanGap, ...]:
        return self._plan.gaps

    @property
    def delivery_groups(self) -> tuple[DeliveryGroup, ...]:
        return self._plan.groups

    @cached_property
    def boutique(self) -> BoutiqueFit:
        e = self._explanation
        return _boutique_fit(e.config, e.answers, e.boutique_score, self.drivers)

    @cached_property
    def ai_readiness(self) -> AIReadiness:
        return _ai_readiness(self._explanation.config, self._explanation.answers)

    @cached_property
    def sensitivity(self) -> tuple[Sensitivity, ...]:
        return _sensitivity(self)

    def explained(self) -> tuple:
        """Everything, explanations included: what two equal recommendations share."""
        return (
            self,
            self.drivers,
            self.driver_groups,
            self.plan,
            self.plan_gaps,
            self.delivery_groups,
            self.boutique,
            self.ai_readiness,
            self.sensitivity,
            self.confidence_basis,
        )


# --- Signals ------------------------------------------------------------------------------------

TARGET_INDEX = {target: index for index, target in enumerate(TARGETS)}
_Pairs = tuple[tuple[int, float, Weight], ...]


@dataclass(frozen=True, slots=True)
class _Term:
    """One way an answer moves scores: a (question, option) pair, compiled for speed.

    `signal` maps the answer to [-1, 1] (None: no information); for single-choice questions
    `by_choice` holds the weights of each choice instead.
    """

    question: QuestionSpec
    option: str
    signal: Callable[[Any], float | None] | None
    pairs: _Pairs
    by_choice: Mapping[str, _Pairs] | None


@dataclass(frozen=True, slots=True)
class _ScoredQuestion:
    """A question's terms, and the largest |weight| it can apply to each target (in quanta): the
    denominators that keep every score within 0–100."""

    question: QuestionSpec
    terms: tuple[_Term, ...]
    spans: tuple[int, int, int, int]
    options: tuple[str, ...]  # choices of a multiple-choice question that carry their own weight
    memo: dict = field(default_factory=dict, compare=False)  # answer summary → contribution


MEMO_LIMIT = 4096


def _summary(scored: _ScoredQuestion, value: Any) -> Any:
    """All a question's terms read from an answer, as a hashable key (see the signal functions):
    a list's length, specialised count and weighted choices; a matrix's size, sum, and counts of
    established-or-strong and absent rows; any other answer itself."""
    kind = scored.question.kind
    if kind == "multi":
        specialised = scored.question.specialised
        count = 0
        for choice in value:
            if choice in specialised:
                count += 1
        return (len(value), count, tuple(o for o in scored.options if o in value))
    if kind == "matrix":
        total = strong = absent = 0
        for level in value.values():
            total += level
            if level >= 2:
                strong += 1
            elif level == 0:
                absent += 1
        return (len(value), total, strong, absent)
    return value


def _scale_signal(value: float, low: float, high: float) -> float:
    if high <= low:
        return 0.0
    return max(-1.0, min(1.0, 2.0 * (value - low) / (high - low) - 1.0))


def _matrix_mean(value: Mapping[str, int]) -> float | None:
    if not value:
        return None
    return _scale_signal(sum(value.values()) / len(value), 0, MATRIX_MAX)


def _matrix_mixed(value: Mapping[str, int]) -> float | None:
    if not value:
        return None
    levels = value.values()
    strong = sum(1 for level in levels if level >= 2) / len(value)
    absent = sum(1 for level in levels if level == 0) / len(value)
    return 2.0 * min(1.0, 4.0 * strong * absent) - 1.0


def _signal_function(question: QuestionSpec, option: str) -> Callable[[Any], float | None] | None:
    kind = question.kind
    if kind == "matrix":
        return {"__mean__": _matrix_mean, "__mixed__": _matrix_mixed}.get(option)
    if kind == "multi":
        total = max(1, len(question.choices))
        specialised = question.specialised
        if option == "__share__":
            return lambda value: _scale_signal(len(value), 0, total)
        if option == "__specialised_share__":
            return lambda value: (
                _scale_signal(sum(1 for c in value if c in specialised) / len(value), 0, 1) if value else None
            )
        if option == "__mixed_specialisation__":
            return lambda value: (
                (1.0 if 0 < sum(1 for c in value if c in specialised) < len(value) else 0.0)
                if value
                else None
            )
        if option.startswith("__"):
            return None
        return lambda value: 1.0 if option in value else 0.0  # a weight on one choice
    if kind == "scale":
        return lambda value: (value - 3) / 2
    if kind == "number":
        low, high = question.minimum or 0.0, question.maximum or 1.0
        return lambda value: _scale_signal(float(value), low, high)
    if kind == "boolean":
        return lambda value: 1.0 if value else -1.0
    return None


def needs_low_sentence(kind: str, option: str) -> bool:
    """Whether a weight's signal can be negative, so it needs a sentence for a low answer too."""
    if kind in ("scale", "number", "boolean", "matrix"):
        return True
    return kind == "multi" and option in ("__share__", "__specialised_share__")


def _spans(weights: Sequence[Weight]) -> list[float]:
    spans = [0.0, 0.0, 0.0, 0.0]
    for weight in weights:
        index = TARGET_INDEX[weight.target]
        spans[index] = max(spans[index], abs(weight.weight))
    return spans


def _compile(questions: Sequence[QuestionSpec]) -> tuple[_ScoredQuestion, ...]:
    scored = []
    for question in questions:
        if not question.weights:
            continue
        terms: list[_Term] = []
        spans = [0.0, 0.0, 0.0, 0.0]
        if question.kind == "single":
            # All choices of a single question form one term: only the chosen one applies.
            by_choice: dict[str, list[tuple[int, float, Weight]]] = {}
            for weight in question.weights:
                by_choice.setdefault(weight.option, []).append(
                    (TARGET_INDEX[weight.target], weight.weight, weight)
                )
            compiled = {choice: tuple(pairs) for choice, pairs in by_choice.items()}
            terms.append(_Term(question, "*", None, (), compiled))
            spans = _spans(question.weights)
        else:
            options: dict[str, list[Weight]] = {}
            for weight in question.weights:
                options.setdefault(weight.option, []).append(weight)
            for option, weights in sorted(options.items()):
                pairs = tuple((TARGET_INDEX[w.target], w.weight, w) for w in weights)
                terms.append(_Term(question, option, _signal_function(question, option), pairs, None))
                spans = [a + b for a, b in zip(spans, _spans(weights), strict=True)]
        quanta = tuple(round(s * QUANTUM) for s in spans)
        options = tuple(sorted({w.option for w in question.weights if not w.option.startswith("__")}))
        scored.append(
            _ScoredQuestion(question, tuple(terms), quanta, options if question.kind == "multi" else ())  # type: ignore[arg-type]
        )
    return tuple(scored)


def _term_moves(term: _Term, value: Any):
    """(target index, Weight, contribution in quanta, signal) for each weight this answer moves."""
    if term.by_choice is not None:
        pairs = term.by_choice.get(value)
        strength = 1.0
    else:
        pairs = term.pairs
        strength = term.signal(value) if term.signal else None
    if not pairs or not strength:
        return ()
    return tuple((index, weight, round(w * strength * QUANTUM), strength) for index, w, weight in pairs)


def _contribution(scored: _ScoredQuestion, value: Any) -> tuple[int, int, int, int]:
    """The answer's contribution to each target's total, in quanta (remembered per answer summary:
    the same summary always gives the same contribution)."""
    key = _summary(scored, value)
    memo = scored.memo
    found = memo.get(key)
    if found is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        found = memo[key] = _compute_contribution(scored, value)
    return found


def _compute_contribution(scored: _ScoredQuestion, value: Any) -> tuple[int, int, int, int]:
    t = [0, 0, 0, 0]
    for term in scored.terms:
        if term.by_choice is not None:
            pairs = term.by_choice.get(value)
            strength = 1.0
        else:
            pairs = term.pairs
            strength = term.signal(value) if term.signal else None
        if pairs and strength:
            for index, w, _weight in pairs:
                t[index] += round(w * strength * QUANTUM)
    return (t[0], t[1], t[2], t[3])


# --- Visibility and completeness ----------------------------------------------------------------


def visible_questions(config: EngineConfig, answers: Mapping[str, Any]) -> list[QuestionSpec]:
    """Questions whose show-if condition holds for these answers (all, when none has one)."""
    return [
        q for q in config.questions if q.show_if is None or q.show_if.holds(answers.get(q.show_if.question))
    ]


def effective_answers(config: EngineConfig, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that count: known, visible and not empty."""
    visible = {q.code for q in visible_questions(config, answers)}
    return {code: value for code, value in answers.items() if code in visible and value is not None}


def missing_required(config: EngineConfig, answers: Mapping[str, Any]) -> list[QuestionSpec]:
    """Required, visible questions without a complete answer (a matrix needs every row)."""
    missing = []
    for question in visible_questions(config, answers):
        if not question.required:
            continue
        value = answers.get(question.code)
        if (
            value is None
            or (question.kind == "multi" and not value)
            or (question.kind == "matrix" and len(value) < len(question.choices))
        ):
            missing.append(question)
    return missing


# Where a program runs must agree with its footprint (questionnaire v2's `program_regions`).
FOOTPRINT_REGIONS = {
    "single_country": (1, 1, "A single-country program runs in one region: choose exactly one."),
    "single_region": (1, 1, "A single-region program: choose exactly one region."),
    "multi_region": (2, None, "A multi-region program: choose at least two regions."),
}


def region_problem(answers: Mapping[str, Any]) -> str | None:
    """What is wrong with the program's regions for its footprint, or None."""
    regions = answers.get("program_regions")
    rule = FOOTPRINT_REGIONS.get(answers.get("geographic_footprint"))
    if regions is None or rule is None:
        return None
    low, high, message = rule
    if len(regions) < low or (high is not None and len(regions) > high):
        return message
    return None


# --- Scores -------------------------------------------------------------------------------------


def _raw_scores(config: EngineConfig, totals, spans) -> tuple[list[float], float, float]:
    t0, t1, t2, t3 = totals
    s0, s1, s2, s3 = spans
    raw = [
        50.0 + 50.0 * t0 / s0 if s0 else 50.0,
        50.0 + 50.0 * t1 / s1 if s1 else 50.0,
        50.0 + 50.0 * t2 / s2 if s2 else 50.0,
        50.0 + 50.0 * t3 / s3 if s3 else 50.0,
    ]
    gap = abs(raw[0] - raw[1])
    bonus = config._balance_points * (1.0 - gap / 50.0) if gap < 50.0 else 0.0
    raw[2] += bonus
    return raw, gap, bonus


def _final(config: EngineConfig, totals, spans, hybrid_ok: bool) -> tuple[tuple[float, float, float], str]:
    """The three models' scores and the winner (what a changed answer needs; the same arithmetic
    as `_raw_scores`, without the boutique fit)."""
    t0, t1, t2 = totals[0], totals[1], totals[2]
    s0, s1, s2 = spans[0], spans[1], spans[2]
    r0 = 50.0 + 50.0 * t0 / s0 if s0 else 50.0
    r1 = 50.0 + 50.0 * t1 / s1 if s1 else 50.0
    r2 = 50.0 + 50.0 * t2 / s2 if s2 else 50.0
    gap = abs(r0 - r1)
    if gap < 50.0:
        r2 += config._balance_points * (1.0 - gap / 50.0)
    scores = (
        points(min(100.0, max(0.0, r0))),
        points(min(100.0, max(0.0, r1))),
        points(min(100.0, max(0.0, r2))),
    )
    return scores, _choose(scores, hybrid_ok)


def _choose(scores: Sequence[float], hybrid_ok: bool) -> str:
    # Ties go to the model listed first (full-service, FSP, hybrid): stable and explainable.
    best = "full_service" if scores[0] >= scores[1] else "fsp"
    if hybrid_ok and scores[2] > scores[TARGET_INDEX[best]]:
        best = "hybrid"
    return best


def _lead(scores: Sequence[float], model: str, hybrid_ok: bool) -> float:
    others = [scores[TARGET_INDEX[m]] for m in MODELS if m != model and (m != "hybrid" or hybrid_ok)]
    return points(scores[TARGET_INDEX[model]] - max(others))


def _runner_up(scores: Sequence[float], model: str, hybrid_ok: bool) -> str:
    others = [m for m in MODELS if m != model and (m != "hybrid" or hybrid_ok)]
    return max(others, key=lambda m: (scores[TARGET_INDEX[m]], -MODELS.index(m)))


def _evaluate(config: EngineConfig, counted: Mapping[str, Any]):
    """Totals and spans per target (in quanta), and each question's contribution."""
    totals = [0, 0, 0, 0]
    spans = [0, 0, 0, 0]
    contributions: dict[str, tuple[int, int, int, int]] = {}
    for scored in config._scored:
        value = counted.get(scored.question.code)
        if value is None:
            continue
        c = _contribution(scored, value)
        contributions[scored.question.code] = c
        for i in range(4):
            totals[i] += c[i]
            spans[i] += scored.spans[i]
    return tuple(totals), tuple(spans), contributions


# --- One-step trials ----------------------------------------------------------------------------


_LISTING = ("functions_to_outsource", "outsourcing_scope")
_REGIONS = ("geographic_footprint", "program_regions")


def _sweep(
    config: EngineConfig,
    counted: Mapping[str, Any],
    contributions: Mapping[str, tuple],
    totals: tuple[int, int, int, int],
    spans: tuple[int, int, int, int],
    hybrid_ok: bool,
    model: str,
    margin: float,
) -> tuple[Trial, ...]:
    """Every valid one-step change of every weighted answer, scored (the engine's inner loop).

    A step is left out when it reveals a required question nobody answered, or leaves the
    program's regions at odds with its footprint. Steps whose new answers read the same to every
    term (adding any routine function to a list, raising any limited row of the matrix to
    established...) are scored once."""
    trials = []
    for scored in config._scored:
        question = scored.question
        code = question.code
        value = counted.get(code)
        if value is None:
            continue
        old = contributions[code]
        dependents = config._dependents.get(code, ())
        touches = config._touches[code]
        outcomes: dict[Any, tuple | None] = {}
        for step in one_step_changes(question, value):
            key = _summary(scored, step.value)
            if key not in outcomes:
                outcomes[key] = _step_outcome(
                    config,
                    scored,
                    counted,
                    contributions,
                    old,
                    dependents,
                    step,
                    key,
                    totals,
                    spans,
                    hybrid_ok,
                    model,
                    margin,
                )
            outcome = outcomes[key]
            if outcome is not None:
                trials.append(Trial((step,), *outcome[:5], touches, outcome[5]))
    return tuple(trials)


def _step_outcome(
    config,
    scored,
    counted,
    contributions,
    old,
    dependents,
    step,
    key,
    totals,
    spans,
    hybrid_ok,
    model,
    margin,
):
    """(scores, model, hybrid allowed, totals, spans, narrowing) after one step, or None."""
    code = scored.question.code
    memo = scored.memo
    new = memo.get(key)
    if new is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        new = memo[key] = _compute_contribution(scored, step.value)
    nt = [totals[0] + new[0] - old[0], totals[1] + new[1] - old[1], totals[2] + new[2] - old[2]]
    nt.append(totals[3] + new[3] - old[3])
    ns = list(spans)
    for dependent in dependents:
        was = dependent.code in counted
        now = dependent.show_if.holds(step.value)
        if was and not now:
            hidden = config._scored_by_code.get(dependent.code)
            if hidden is not None:
                gone = contributions[dependent.code]
                for i in range(4):
                    nt[i] -= gone[i]
                    ns[i] -= hidden.spans[i]
        elif now and not was and dependent.required:
            return None  # the step reveals a required question nobody answered
    if code in _REGIONS and region_problem({**counted, code: step.value}):
        return None
    ok = hybrid_ok
    if code == "functions_to_outsource":  # answered, so visible: the new list is the listing
        ok = len(step.value) >= 2
    elif code in _LISTING:
        ok = len(listed_functions(config, effective_answers(config, {**counted, code: step.value}))[0]) >= 2
    scores, winner = _final(config, nt, ns, ok)
    if winner != model:
        narrowing = points(margin + max(0.0, scores[TARGET_INDEX[winner]] - scores[TARGET_INDEX[model]]))
    else:
        narrowing = points(max(0.0, margin - _lead(scores, model, ok)))
    return scores, winner, ok, tuple(nt), tuple(ns), narrowing


def _exact_trial(config: EngineConfig, counted: Mapping[str, Any], steps: Sequence[Step]) -> Trial | None:
    """Score changed answers from scratch (steps that interact); None when they are incomplete."""
    changed = dict(counted)
    for step in steps:
        changed[step.question] = step.value
    if missing_required(config, changed) or region_problem(effective_answers(config, changed)):
        return None
    effective = effective_answers(config, changed)
    totals, spans, _ = _evaluate(config, effective)
    ok = len(listed_functions(config, effective)[0]) >= 2
    scores, model = _final(config, totals, spans, ok)
    touches = frozenset(step.question for step in steps)
    return Trial(tuple(steps), scores, model, ok, totals, spans, touches)


# --- Confidence ---------------------------------------------------------------------------------


def confidence_score(*, margin: float, spread: float, flips: int, changes: int, completeness: float) -> float:
    """c × m / (m + s) × (1 − f / n), in 0–1 (see the module docstring)."""
    if margin <= 0:
        return 0.0
    robustness = margin / (margin + spread) if spread > 0 else 1.0
    stability = 1.0 - flips / changes if changes else 1.0
    value = max(0.0, min(1.0, completeness)) * robustness * max(0.0, stability)
    return round(max(0.0, min(1.0, value)), 3)


def confidence_label(confidence: float) -> str:
    return next(label for threshold, label in CONFIDENCE_LABELS if confidence >= threshold)


def _basis(
    config: EngineConfig, model: str, margin: float, trials: Sequence[Trial], completeness: float
) -> ConfidenceBasis:
    worst: dict[str, float] = {}
    flips = 0
    for trial in trials:
        code = trial.steps[0].question
        worst[code] = max(worst.get(code, 0.0), trial.narrowing)
        flips += trial.model != model
    spread = points(math.sqrt(sum(d * d for d in worst.values()) / len(worst))) if worst else 0.0
    changes = len(trials)
    if changes:
        sentence = (
            f"{MODEL_LABELS[model]} leads by {format_points(margin)} points; a one-step change of a typical "
            f"answer narrows that lead by about {format_points(spread)} points, and {flips} of the {changes} "
            f"one-step changes tried would change the recommendation."
        )
    else:
        sentence = f"{MODEL_LABELS[model]} leads by {format_points(margin)} points."
    return ConfidenceBasis(margin, spread, flips, changes, round(completeness, 3), sentence)


# --- The recommendation -------------------------------------------------------------------------


def recommend_model(config: EngineConfig, answers: Mapping[str, Any]) -> ModelRecommendation:
    """Score the outsourcing models for these answers and explain the result. Deterministic."""
    counted = effective_answers(config, answers)
    totals, spans, contributions = _evaluate(config, counted)
    raw, gap, bonus = _raw_scores(config, totals, spans)
    scores = tuple(points(min(100.0, max(0.0, value))) for value in raw)
    hybrid_ok = len(listed_functions(config, counted)[0]) >= 2
    model = _choose(scores, hybrid_ok)
    runner_up = _runner_up(scores, model, hybrid_ok)
    margin = _lead(scores, model, hybrid_ok)
    visible = visible_questions(config, counted)
    completeness = sum(1 for q in visible if q.code in counted) / len(visible) if visible else 0.0
    trials = _sweep(config, counted, contributions, totals, spans, hybrid_ok, model, margin)
    basis = _basis(config, model, margin, trials, completeness)
    confidence = confidence_score(
        margin=margin,
        spread=basis.spread,
        flips=basis.flips,
        changes=basis.changes,
        completeness=basis.completeness,
    )
    moves = tuple(
        (scored, weight, quanta, signal)
        for scored in config._scored
        if scored.question.code in counted
        for term in scored.terms
        for _index, weight, quanta, signal in _term_moves(term, counted[scored.question.code])
    )
    return ModelRecommendation(
        model=model,
        scores={m: scores[TARGET_INDEX[m]] for m in MODELS},
        confidence=confidence,
        confidence_label=confidence_label(confidence),
        engine_version=ENGINE_VERSION,
        _explanation=_Explanation(
            config=config,
            answers=counted,
            moves=moves,
            spans=spans,
            totals=totals,
            gap=gap,
            bonus=bonus,
            boutique_score=scores[TARGET_INDEX["boutique"]],
            hybrid_ok=hybrid_ok,
            runner_up=runner_up,
            margin=margin,
            trials=trials,
            basis=basis,
        ),
    )


# --- Explanations -------------------------------------------------------------------------------


def describe_answer(question: QuestionSpec, value: Any, option: str = "") -> str:
    """The answer in words, as the sponsor would read it back (for a feature, the feature)."""
    kind = question.kind
    if kind == "scale":
        return f"{value} of 5"
    if kind == "boolean":
        return "yes" if value else "no"
    if kind == "single":
        return question.choice_labels.get(value) or str(value).replace("_", " ")
    if kind == "multi":
        if not value:
            return "none selected"
        if option == "__share__":
            return f"{len(value)} of {len(question.choices)} chosen"
        if option in ("__specialised_share__", "__mixed_specialisation__"):
            specialised = sum(1 for v in value if v in question.specialised)
            if not specialised:
                return f"none of the {len(value)} chosen is specialised"
            return (
                f"{specialised} of the {len(value)} chosen {'is' if specialised == 1 else 'are'} specialised"
            )
        if option and not option.startswith("__"):
            return question.choice_labels.get(option) or option.replace("_", " ")
        names = [question.choice_labels.get(v, v) for v in value]
        return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    if kind == "matrix":
        levels = list(value.values())
        if option == "__mean__":
            return f"average {format_points(sum(levels) / len(levels))} of 3 across {len(levels)} functions"
        strong = sum(1 for level in levels if level >= 2)
        absent = sum(1 for level in levels if level == 0)
        return (
            f"{strong} of {len(levels)} functions established or strong in-house, {absent} with no capability"
        )
    return f"{value:g}" if isinstance(value, float) else str(value)


def _direction(question: QuestionSpec, weight: Weight, signal: float) -> str:
    if question.kind == "single" or (question.kind == "multi" and not weight.option.startswith("__")):
        return "chosen"
    if question.kind == "boolean":
        return "yes" if signal > 0 else "no"
    return "high" if signal > 0 else "low"


def _driver_sentence(label: str, answer: str, target: str, shown: float, why: str) -> str:
    verb = "favours" if shown > 0 else "counts against"
    sentence = f"{label}: {answer} — {verb} {TARGET_LABELS[target]} ({format_signed(shown)} points)."
    return f"{sentence} {why}" if why else sentence


def _drivers(explanation: _Explanation) -> tuple[Driver, ...]:
    drivers = []
    spans = explanation.spans
    answers = explanation.answers
    described: dict[tuple[str, str], str] = {}
    for scored, weight, quanta, signal in explanation.moves:
        span = spans[TARGET_INDEX[weight.target]]
        shown = points(50.0 * quanta / span) if span else 0.0
        if not shown:
            continue
        question = scored.question
        direction = _direction(question, weight, signal)
        why = weight.sentence_low if direction in ("low", "no") else weight.sentence_high
        key = (question.code, weight.option)
        answer = described.get(key)
        if answer is None:
            answer = described[key] = describe_answer(question, answers[question.code], weight.option)
        drivers.append(
            Driver(
                question.code,
                question.label,
                weight.option,
                weight.target,
                shown,
                answer,
                direction,
                _driver_sentence(question.label, answer, weight.target, shown, why),
            )
        )
    bonus = points(explanation.bonus)
    if bonus > 0:
        gap = explanation.gap
        if points(gap) == 0:
            closeness = "level"
        else:
            closeness = f"{'only ' if gap < 10 else ''}{format_points(gap)} points apart"
        drivers.append(
            Driver(
                "__balance__",
                "Balance of the answers",
                "",
                "hybrid",
                bonus,
                f"full-service and FSP {closeness}",
                "high",
                f"Your answers point both ways: the full-service and FSP scores are {closeness}, which "
                f"favours hybrid ({format_signed(bonus)} points). A mix of models lets each function go "
                f"where it fits best.",
            )
        )
    drivers.sort(key=lambda d: (-abs(d.points), d.question, d.target, d.option))
    return tuple(drivers)


def _group_drivers(result: ModelRecommendation, drivers: Sequence[Driver]) -> DriverGroups:
    model, runner = result.model, result.runner_up

    def toward_lead(driver: Driver) -> float:
        if driver.target == model:
            return driver.points
        if driver.target == runner:
            return -driver.points
        return 0.0

    # By weight on the lead; on a tie, what moved the recommended model itself comes first.
    supporting = sorted(
        (d for d in drivers if toward_lead(d) > 0), key=lambda d: (-toward_lead(d), d.target != model)
    )
    opposing = sorted(
        (d for d in drivers if toward_lead(d) < 0), key=lambda d: (toward_lead(d), d.target != model)
    )
    runner_case = [d for d in drivers if d.target == runner and d.points > 0][:5]
    alternative = Alternative(
        runner, MODEL_LABELS[runner], result.scores[runner], result.margin, tuple(runner_case)
    )
    notes = []
    e = result._explanation
    if not e.hybrid_ok and result.scores["hybrid"] >= result.scores[model]:
        listed = len(listed_functions(e.config, e.answers)[0])
        notes.append(
            f"Hybrid scores {format_points(result.scores['hybrid'])}, but with "
            f"{'one function' if listed == 1 else 'no function'} to outsource there is nothing to mix: "
            f"{MODEL_LABELS[model]} is the best model that fits."
        )
    return DriverGroups(tuple(supporting), tuple(opposing), alternative, tuple(notes))


def _sensitivity(result: ModelRecommendation) -> tuple[Sensitivity, ...]:
    e = result._explanation
    best: dict[str, tuple[float, Trial]] = {}
    for trial in e.trials:
        code = trial.steps[0].question
        narrowing = trial.narrowing
        flips = trial.model != result.model
        current = best.get(code)
        # The step that flips, else the one that narrows most; ties keep the first step tried.
        if current is None or (flips, narrowing) > (current[1].model != result.model, current[0]):
            best[code] = (narrowing, trial)
    order = e.config._order
    ranked = sorted(
        ((code, narrowing, trial) for code, (narrowing, trial) in best.items() if narrowing > 0),
        key=lambda row: (row[2].model == result.model, -row[1], order[row[0]]),
    )
    rows = []
    for code, narrowing, trial in ranked[:SENSITIVITY_LIMIT]:
        question = e.config.question(code)
        step = trial.steps[0]
        answer = describe_answer(question, e.answers[code])
        words = describe_step(question, e.answers[code], step)
        flips = trial.model != result.model
        if flips:
            sentence = (
                f"{question.label} ({answer}): with {words}, the {MODEL_NAMES[trial.model]} model would be "
                f"recommended instead."
            )
        else:
            sentence = (
                f"{question.label} ({answer}): with {words}, the lead of {MODEL_LABELS[result.model]} would "
                f"narrow by {format_points(narrowing)} points."
            )
        rows.append(Sensitivity(code, question.label, answer, words, narrowing, flips, trial.model, sentence))
    return tuple(rows)


def _boutique_fit(
    config: EngineConfig, answers: Mapping[str, Any], score: float, drivers: Sequence[Driver]
) -> BoutiqueFit:
    threshold = config.param("boutique_fit_threshold")
    level = "strong" if score >= threshold + 10 else "moderate" if score >= threshold else "low"
    reasons = tuple(
        d.sentence
        for d in sorted((d for d in drivers if d.target == "boutique"), key=lambda d: -abs(d.points))[:4]
    )
    listed, _assumed = listed_functions(config, answers)
    specialised = tuple(f.code for f in config.functions if f.specialised and f.code in listed)
    return BoutiqueFit(points(score), level, reasons, specialised)


def _ai_readiness(config: EngineConfig, answers: Mapping[str, Any]) -> AIReadiness:
    weights = config.param("ai_readiness_weights")
    governance = answers.get("data_governance_maturity")
    platform = answers.get("sponsor_ai_platform")
    required = int(answers.get("ai_maturity_required") or 1)
    needed = tuple(answers.get("ai_capabilities_needed") or ())
    parts, total = 0.0, 0.0
    if governance is not None:
        parts += weights["governance"] * (governance - 1) / 4
        total += weights["governance"]
    if platform is not None:
        parts += weights["platform"] * (1.0 if platform else 0.0)
        total += weights["platform"]
    score = points(100.0 * parts / total) if total else 0.0
    level = "advanced" if score >= 70 else "developing" if score >= 40 else "early"
    strengths, requirements = [], []
    if governance is not None and governance >= 4:
        strengths.append(f"Mature data governance ({governance} of 5).")
    if platform:
        strengths.append("You run your own AI and data platform.")
        requirements.append("Partners must work inside your AI and data platform (FSP teams usually do).")
    elif platform is not None:
        requirements.append("Partners should bring their own validated AI and data platform.")
    if required >= 4:
        requirements.append(f"Partner technology maturity of at least {required} of 5.")
    question = config.question("ai_capabilities_needed")
    labels = question.choice_labels if question else {}
    if needed:
        names = (labels.get(c) or c.replace("_", " ") for c in needed)
        requirements.append("Capabilities needed: " + ", ".join(names) + ".")
    if governance is not None and governance <= 2:
        requirements.append("Partners with strong data-governance frameworks can compensate for your own.")
    summary = {
        "advanced": "You are ready to run AI-enabled trials and can hold partners to your standards.",
        "developing": "You have foundations in place; choose partners whose AI tooling fits your processes.",
        "early": "Your own AI and data foundations are early: lean on partners' platforms and governance.",
    }[level]
    return AIReadiness(score, level, summary, tuple(strengths), tuple(requirements), needed, required)
