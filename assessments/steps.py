"""One-step changes of an answer, and how to say them in words. Pure Python.

A step is the smallest change a sponsor could make to one answer:
- scale: one point up or down (within 1–5);
- number: a tenth of the question's range up or down (within its range);
- yes/no: the other answer;
- single choice: any other choice (choices have no distance between them);
- multiple choice: one choice added, or one removed (a required question keeps at least one);
- function matrix: one function's level one up or down (within 0–3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assessments.scoring import QuestionSpec

MATRIX_LEVELS = {0: "none", 1: "limited", 2: "established", 3: "strong"}
MATRIX_MAX = 3
SCALE_MIN, SCALE_MAX = 1, 5


@dataclass(frozen=True, slots=True)
class Step:
    """A changed answer: the whole new value, and which choice or row moved (if any)."""

    question: str
    value: Any
    option: str = ""


def lower_first(label: str) -> str:
    """A label in the middle of a sentence: "Oversight capacity" → "oversight capacity"; an
    acronym keeps its case ("AI maturity required")."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def one_step_changes(question: QuestionSpec, value: Any) -> list[Step]:
    """Every one-step change of this answer, in a fixed order."""
    code, kind = question.code, question.kind
    if value is None:
        return []
    if kind == "scale":
        return [Step(code, v) for v in (value - 1, value + 1) if SCALE_MIN <= v <= SCALE_MAX]
    if kind == "number":
        low, high = question.minimum, question.maximum
        if low is None or high is None or high <= low:
            return []
        step = (high - low) / 10
        return [Step(code, v) for v in (value - step, value + step) if low <= v <= high]
    if kind == "boolean":
        return [Step(code, not value)]
    if kind == "single":
        return [Step(code, choice, choice) for choice in question.choices if choice != value]
    if kind == "multi":
        chosen = set(value)
        steps = []
        for choice in question.choices:
            if choice in chosen:
                if len(chosen) > 1 or not question.required:
                    steps.append(Step(code, [c for c in value if c != choice], choice))
            else:
                steps.append(Step(code, [c for c in question.choices if c in chosen or c == choice], choice))
        return steps
    if kind == "matrix":
        steps = []
        for row, level in value.items():
            for new in (level - 1, level + 1):
                if 0 <= new <= MATRIX_MAX:
                    steps.append(Step(code, {**value, row: new}, row))
        return steps
    return []


def _choice(question: QuestionSpec, value: str) -> str:
    return question.choice_labels.get(value) or value.replace("_", " ")


def describe_step(question: QuestionSpec, before: Any, step: Step) -> str:
    """The change in words, to follow "With ": "oversight capacity at 4 instead of 2"."""
    label = lower_first(question.label)
    after, kind = step.value, question.kind
    if kind == "scale":
        return f"{label} at {after} instead of {before}"
    if kind == "number":
        return f"{label} at {after:g} instead of {before:g}"
    if kind == "boolean":
        yes_no = {True: "yes", False: "no"}
        return f"“{question.label}” answered {yes_no[bool(after)]} instead of {yes_no[bool(before)]}"
    if kind == "single":
        return f"{label} “{_choice(question, after)}” instead of “{_choice(question, before)}”"
    if kind == "multi":
        name = _choice(question, step.option)
        if step.option in after:
            return f"{name} added to {label}"
        return f"{name} removed from {label}"
    if kind == "matrix":
        name = _choice(question, step.option)
        old = before.get(step.option) if isinstance(before, Mapping) else None
        return (
            f"{label} for {name} at {MATRIX_LEVELS[after[step.option]]} "
            f"instead of {MATRIX_LEVELS.get(old, 'unrated')}"
        )
    return f"{label} changed"
