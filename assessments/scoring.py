"""The recommendation engine: answers in, an explained outsourcing-model recommendation out.

Pure Python on purpose (dataclasses in and out, no ORM), so it is deterministic, exhaustively
testable and fast. What moves which model, and by how much, is data: every question carries
weights per target (`full_service`, `fsp`, `hybrid`, and `boutique` for the boutique fit) and a
rationale, stored with the questionnaire and editable by account managers.

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
A driver is one answer's share of that sum, in points. Hybrid also gains when the full-service and
FSP scores are close (`hybrid_balance_points`): mixed signals are what make a hybrid strategy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

ENGINE_VERSION = "1.0.0"

MODELS = ("full_service", "fsp", "hybrid")
TARGETS = (*MODELS, "boutique")
TARGET_LABELS = {
    "full_service": "full-service CRO",
    "fsp": "FSP",
    "hybrid": "hybrid",
    "boutique": "a boutique partner",
}
KINDS = ("single", "multi", "scale", "boolean", "number", "matrix")
MATRIX_LEVELS = {0: "none", 1: "limited", 2: "established", 3: "strong"}
MATRIX_MAX = 3

# Derived features a weight's `option` may name, by question kind. The value is the signal.
FEATURES = {
    "multi": ("__share__", "__specialised_share__", "__mixed_specialisation__"),
    "matrix": ("__mean__", "__mixed__"),
}

DEFAULT_PARAMETERS: dict[str, Any] = {
    "hybrid_balance_points": 8.0,
    "confidence_full_margin": 15.0,
    "boutique_complexity_threshold": 4,
    "boutique_fit_threshold": 55.0,
    "in_house_level": 2,
    "shortlist_size": 10,
    "shortlist_weights": {
        "functions": 35,
        "therapeutic": 20,
        "regions": 15,
        "ai": 10,
        "senior": 10,
        "model_fit": 10,
    },
    "ai_readiness_weights": {"governance": 0.6, "platform": 0.4},
}


# --- Inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Weight:
    option: str  # a choice value, a derived feature (FEATURES) or "" for the answer itself
    target: str
    weight: float
    rationale: str = ""


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
        object.__setattr__(self, "_terms", _compile_terms(self.questions))

    def question(self, code: str) -> QuestionSpec | None:
        return self._by_code.get(code)

    def param(self, name: str) -> Any:
        return self.parameters.get(name, DEFAULT_PARAMETERS[name])


# --- Outputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Driver:
    question: str
    option: str
    target: str
    points: float
    answer: str
    sentence: str


@dataclass(frozen=True, slots=True)
class PlanItem:
    function: str
    function_name: str
    internal_level: int | None
    delivery: str  # in_house, fsp, full_service, boutique
    reason: str


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


@dataclass(frozen=True, eq=False)
class _Explanation:
    """What the engine recorded while scoring, from which the explanations are built on demand."""

    config: EngineConfig
    answers: Mapping[str, Any]
    moves: tuple[Any, ...]
    spans: tuple[float, ...]
    gap: float
    bonus: float
    boutique_score: float


@dataclass(frozen=True)
class ModelRecommendation:
    """The scores are computed eagerly; drivers, plan, boutique fit and AI readiness are built
    from the recorded moves the first time they are read (ranking thousands of what-ifs needs
    only the numbers)."""

    model: str
    scores: Mapping[str, float]
    confidence: float
    confidence_label: str
    engine_version: str = ENGINE_VERSION
    _explanation: _Explanation | None = field(default=None, repr=False, compare=False)

    @cached_property
    def drivers(self) -> tuple[Driver, ...]:
        return _drivers(self._explanation)

    @cached_property
    def plan(self) -> tuple[PlanItem, ...]:
        e = self._explanation
        return _plan(e.config, e.answers, self.model, e.boutique_score)

    @cached_property
    def boutique(self) -> BoutiqueFit:
        e = self._explanation
        return _boutique_fit(e.config, e.answers, e.boutique_score, self.drivers)

    @cached_property
    def ai_readiness(self) -> AIReadiness:
        return _ai_readiness(self._explanation.config, self._explanation.answers)

    def explained(self) -> tuple:
        """Everything, explanations included: what two equal recommendations share."""
        return (self, self.drivers, self.plan, self.boutique, self.ai_readiness)


# --- Signals ------------------------------------------------------------------------------------

TARGET_INDEX = {target: index for index, target in enumerate(TARGETS)}
_Pairs = tuple[tuple[int, float, Weight], ...]


@dataclass(frozen=True, slots=True)
class _Term:
    """One way an answer moves scores: a (question, option) pair, compiled for speed.

    `signal` maps the answer to [-1, 1] (None: no information); for single-choice questions
    `by_choice` holds the weights of each choice instead. `spans` is the largest |weight| the term
    can apply to each target: the denominators that keep every score within 0–100.
    """

    question: QuestionSpec
    option: str
    signal: Callable[[Any], float | None] | None
    pairs: _Pairs
    by_choice: Mapping[str, _Pairs] | None
    spans: tuple[float, float, float, float]


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


def _spans(weights) -> tuple[float, float, float, float]:
    spans = [0.0, 0.0, 0.0, 0.0]
    for weight in weights:
        index = TARGET_INDEX[weight.target]
        spans[index] = max(spans[index], abs(weight.weight))
    return (spans[0], spans[1], spans[2], spans[3])


def _compile_terms(questions: Sequence[QuestionSpec]) -> tuple[_Term, ...]:
    terms: list[_Term] = []
    for question in questions:
        if not question.weights:
            continue
        if question.kind == "single":
            # All choices of a single question form one term: only the chosen one applies.
            by_choice: dict[str, list[tuple[int, float, Weight]]] = {}
            for weight in question.weights:
                by_choice.setdefault(weight.option, []).append(
                    (TARGET_INDEX[weight.target], weight.weight, weight)
                )
            compiled = {choice: tuple(pairs) for choice, pairs in by_choice.items()}
            terms.append(_Term(question, "*", None, (), compiled, _spans(question.weights)))
            continue
        options: dict[str, list[Weight]] = {}
        for weight in question.weights:
            options.setdefault(weight.option, []).append(weight)
        for option, weights in sorted(options.items()):
            pairs = tuple((TARGET_INDEX[w.target], w.weight, w) for w in weights)
            terms.append(
                _Term(question, option, _signal_function(question, option), pairs, None, _spans(weights))
            )
    return tuple(terms)


def _describe(question: QuestionSpec, value: Any) -> str:
    """The answer in words, as the sponsor would read it back."""
    if question.kind == "scale":
        return f"{value} of 5"
    if question.kind == "boolean":
        return "yes" if value else "no"
    if question.kind == "single":
        return question.choice_labels.get(value, str(value))
    if question.kind == "multi":
        if not value:
            return "none selected"
        names = [question.choice_labels.get(v, v) for v in value]
        return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    if question.kind == "matrix":
        levels = list(value.values())
        strong = sum(1 for level in levels if level >= 2)
        absent = sum(1 for level in levels if level == 0)
        return (
            f"{strong} of {len(levels)} functions established or strong in-house, {absent} with no capability"
        )
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- Visibility ---------------------------------------------------------------------------------


def visible_questions(config: EngineConfig, answers: Mapping[str, Any]) -> list[QuestionSpec]:
    """Questions whose show-if condition holds for these answers (all, when none has one)."""
    return [
        q for q in config.questions if q.show_if is None or q.show_if.holds(answers.get(q.show_if.question))
    ]


def effective_answers(config: EngineConfig, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that count: known, visible and not empty."""
    visible = {q.code for q in visible_questions(config, answers)}
    return {code: value for code, value in answers.items() if code in visible and value is not None}


# --- The recommendation -------------------------------------------------------------------------


def _driver_sentence(question: QuestionSpec, answer: str, target: str, points: float, rationale: str) -> str:
    verb = "favours" if points > 0 else "counts against"
    sentence = f"{question.label}: {answer} — {verb} {TARGET_LABELS[target]} ({points:+.1f} points)."
    return f"{sentence} {rationale}".strip() if rationale else sentence


_Move = tuple[_Term, Weight, float]


def _score(config: EngineConfig, answers: Mapping[str, Any]) -> tuple[list[float], list[float], list[_Move]]:
    """Raw totals and spans per target, and each (term, weight, contribution) that moved a score."""
    totals = [0.0, 0.0, 0.0, 0.0]
    spans = [0.0, 0.0, 0.0, 0.0]
    moves: list[_Move] = []
    for term in config._terms:
        value = answers.get(term.question.code)
        if value is None:
            continue
        s0, s1, s2, s3 = term.spans
        spans[0] += s0
        spans[1] += s1
        spans[2] += s2
        spans[3] += s3
        if term.by_choice is not None:
            pairs = term.by_choice.get(value)
            strength = 1.0
        else:
            pairs = term.pairs
            strength = term.signal(value) if term.signal else None
        if not pairs or not strength:
            continue
        for index, weight_value, weight in pairs:
            contribution = weight_value * strength
            totals[index] += contribution
            moves.append((term, weight, contribution))
    return totals, spans, moves


def _balance_driver(gap: float, bonus: float) -> Driver | None:
    if bonus <= 0:
        return None
    closeness = "close together" if gap < 1 else f"only {gap:.0f} point{'s' if round(gap) != 1 else ''} apart"
    sentence = (
        f"Your answers point both ways: the full-service and FSP scores are {closeness}, which favours "
        f"hybrid ({bonus:+.1f} points). A mix of models lets each function go where it fits best."
    )
    return Driver("__balance__", "", "hybrid", round(bonus, 2), f"{gap:.0f} points apart", sentence)


def _confidence(scores: Mapping[str, float], full_margin: float, completeness: float) -> tuple[float, str]:
    ranked = sorted((scores[m] for m in MODELS), reverse=True)
    margin = ranked[0] - ranked[1]
    confidence = round(max(0.0, min(1.0, margin / full_margin)) * completeness, 3)
    label = "high" if confidence >= 0.67 else "moderate" if confidence >= 0.34 else "low"
    return confidence, label


def _plan(
    config: EngineConfig, answers: Mapping[str, Any], model: str, boutique: float
) -> tuple[PlanItem, ...]:
    matrix: Mapping[str, int] = answers.get("internal_capabilities") or {}
    scope = answers.get("outsourcing_scope")
    chosen = set(answers.get("functions_to_outsource") or ())
    complexity = answers.get("therapeutic_complexity") or 0
    in_house_level = config.param("in_house_level")
    complex_threshold = config.param("boutique_complexity_threshold")
    boutique_threshold = config.param("boutique_fit_threshold")
    items = []
    for function in config.functions:
        level = matrix.get(function.code)
        outsourced = scope == "entire_program" or function.code in chosen
        if not outsourced:
            if level is None or level == 0:
                continue  # not needed, or not in this program
            word = MATRIX_LEVELS[level]
            if level >= in_house_level:
                reason = f"Your team rates it {word} and you are not outsourcing it: keep it in-house."
            else:
                reason = (
                    f"Your team rates it {word} and you are not outsourcing it; keep it in-house, "
                    f"and consider FSP support if the workload grows."
                )
            items.append(PlanItem(function.code, function.name, level, "in_house", reason))
            continue
        level_text = "no internal capability" if not level else f"{MATRIX_LEVELS[level]} internal capability"
        if function.specialised and complexity >= complex_threshold and boutique >= boutique_threshold:
            delivery = "boutique"
            reason = (
                f"A specialised function in a complex therapeutic area (complexity {complexity} of 5) "
                f"with {level_text}: a boutique specialist's depth and senior attention pay off here."
            )
        elif model == "full_service":
            delivery = "full_service"
            reason = (
                f"Outsourced with {level_text}; one full-service partner runs it end to end with the rest."
            )
        elif model == "fsp":
            delivery = "fsp"
            reason = f"Outsourced with {level_text}; a dedicated FSP team works under your own governance."
        elif level and level >= 1:
            delivery = "fsp"
            reason = (
                f"You have {level_text} to steer it: an FSP team extends your own people "
                f"while you keep control."
            )
        else:
            delivery = "full_service"
            reason = f"With {level_text}, a full-service partner should own delivery of this function."
        items.append(PlanItem(function.code, function.name, level, delivery, reason))
    return tuple(items)


def _drivers(explanation: _Explanation) -> tuple[Driver, ...]:
    drivers = []
    spans = explanation.spans
    described: dict[str, str] = {}
    for term, weight, contribution in explanation.moves:
        points = 50.0 * contribution / spans[TARGET_INDEX[weight.target]]
        if math.isclose(points, 0.0, abs_tol=0.005):
            continue
        code = term.question.code
        if code not in described:
            described[code] = _describe(term.question, explanation.answers[code])
        answer = described[code]
        drivers.append(
            Driver(
                code,
                weight.option,
                weight.target,
                round(points, 2),
                answer,
                _driver_sentence(term.question, answer, weight.target, points, weight.rationale),
            )
        )
    balance = _balance_driver(explanation.gap, explanation.bonus)
    if balance and not math.isclose(balance.points, 0.0, abs_tol=0.005):
        drivers.append(balance)
    drivers.sort(key=lambda d: (-abs(d.points), d.question, d.target, d.option))
    return tuple(drivers)


def _boutique_fit(
    config: EngineConfig, answers: Mapping[str, Any], score: float, drivers: Sequence[Driver]
) -> BoutiqueFit:
    threshold = config.param("boutique_fit_threshold")
    level = "strong" if score >= threshold + 10 else "moderate" if score >= threshold else "low"
    reasons = tuple(
        d.sentence
        for d in sorted((d for d in drivers if d.target == "boutique"), key=lambda d: -abs(d.points))[:4]
    )
    specialised = tuple(
        f.code
        for f in config.functions
        if f.specialised
        and (
            answers.get("outsourcing_scope") == "entire_program"
            or f.code in set(answers.get("functions_to_outsource") or ())
        )
    )
    return BoutiqueFit(round(score, 1), level, reasons, specialised)


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
    score = round(100.0 * parts / total, 1) if total else 0.0
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
        requirements.append("Capabilities needed: " + ", ".join(labels.get(c, c) for c in needed) + ".")
    if governance is not None and governance <= 2:
        requirements.append("Partners with strong data-governance frameworks can compensate for your own.")
    summary = {
        "advanced": "You are ready to run AI-enabled trials and can hold partners to your standards.",
        "developing": "You have foundations in place; choose partners whose AI tooling fits your processes.",
        "early": "Your own AI and data foundations are early: lean on partners' platforms and governance.",
    }[level]
    return AIReadiness(score, level, summary, tuple(strengths), tuple(requirements), needed, required)


def recommend_model(config: EngineConfig, answers: Mapping[str, Any]) -> ModelRecommendation:
    """Score the outsourcing models for these answers and explain the result. Deterministic."""
    counted = effective_answers(config, answers)
    totals, spans, moves = _score(config, counted)
    raw = {
        target: 50.0 + 50.0 * totals[index] / spans[index] if spans[index] else 50.0
        for index, target in enumerate(TARGETS)
    }
    gap = abs(raw["full_service"] - raw["fsp"])
    bonus = float(config.param("hybrid_balance_points")) * max(0.0, 1.0 - gap / 50.0)
    raw["hybrid"] += bonus
    scores = {target: round(max(0.0, min(100.0, value)), 1) for target, value in raw.items()}
    # Ties go to the model listed first (full-service, FSP, hybrid): stable and explainable.
    model = max(MODELS, key=lambda m: (scores[m], -MODELS.index(m)))
    visible = visible_questions(config, counted)
    completeness = sum(1 for q in visible if q.code in counted) / len(visible) if visible else 0.0
    confidence, label = _confidence(scores, float(config.param("confidence_full_margin")), completeness)
    return ModelRecommendation(
        model=model,
        scores={m: scores[m] for m in MODELS},
        confidence=confidence,
        confidence_label=label,
        engine_version=ENGINE_VERSION,
        _explanation=_Explanation(
            config, counted, tuple(moves), tuple(spans), gap, bonus, scores["boutique"]
        ),
    )
