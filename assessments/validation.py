"""Checking answers against their questions. Pure functions over the engine's QuestionSpec."""

import math
from collections.abc import Mapping
from typing import Any

from assessments.scoring import (
    MATRIX_MAX,
    EngineConfig,
    QuestionSpec,
    effective_answers,
    missing_required,
    region_problem,
)


class AnswerError(ValueError):
    def __init__(self, question: str, message: str):
        super().__init__(message)
        self.question = question
        self.message = message


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_answer(question: QuestionSpec, value: Any) -> Any:
    """Return the answer in canonical form, or raise AnswerError saying what is wrong with it."""
    code, kind = question.code, question.kind

    def fail(message: str) -> AnswerError:
        return AnswerError(code, message)

    if kind == "single":
        if not isinstance(value, str):
            raise fail("Expected one of the choice codes as a string.")
        if value not in question.choices:
            raise fail(f"“{value}” is not a choice; expected one of: {', '.join(question.choices)}.")
        return value
    if kind == "multi":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise fail("Expected a list of choice codes.")
        unknown = [v for v in value if v not in question.choices]
        if unknown:
            raise fail(f"Unknown choice(s): {', '.join(unknown)}.")
        if len(set(value)) != len(value):
            raise fail("Each choice may be selected only once.")
        order = {choice: index for index, choice in enumerate(question.choices)}
        return sorted(value, key=order.__getitem__)
    if kind == "scale":
        if not _is_int(value):
            raise fail("Expected a whole number from 1 to 5.")
        if not 1 <= value <= 5:
            raise fail(f"{value} is out of range: use 1 (low) to 5 (high).")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise fail("Expected true or false.")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise fail("Expected a number.")  # JSON's 1e999 parses as infinity; NaN is not a number
        low, high = question.minimum, question.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise fail(f"{value} is out of range: use {low:g} to {high:g}.")
        return value
    if kind == "matrix":
        if not isinstance(value, Mapping):
            raise fail("Expected an object mapping each function code to a level from 0 to 3.")
        unknown = [key for key in value if key not in question.choices]
        if unknown:
            raise fail(f"Unknown row(s): {', '.join(map(str, unknown))}.")
        for key, level in value.items():
            if not _is_int(level) or not 0 <= level <= MATRIX_MAX:
                raise fail(f"{key}: expected a level from 0 (none) to 3 (strong), got {level!r}.")
        return {choice: value[choice] for choice in question.choices if choice in value}
    raise fail(f"Unsupported question kind “{kind}”.")


def validate_answers(
    config: EngineConfig, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a batch; returns (clean answers, errors by question code). None clears an answer."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for code, value in answers.items():
        question = config.question(code) if isinstance(code, str) else None
        if question is None:
            errors[str(code)] = f"“{code}” is not a question of this questionnaire."
            continue
        if value is None:
            clean[code] = None
            continue
        try:
            clean[code] = validate_answer(question, value)
        except AnswerError as error:
            errors[code] = error.message
    return clean, errors


def missing_answers(config: EngineConfig, answers: Mapping[str, Any]) -> dict[str, str]:
    """Required, visible questions without a complete answer, with what is missing; and answers
    that contradict each other (the program's regions against its footprint)."""
    missing: dict[str, str] = {}
    for question in missing_required(config, answers):
        value = answers.get(question.code)
        if question.kind == "matrix" and value is not None:
            rows = [c for c in question.choices if c not in value]
            missing[question.code] = f"{question.label}: rate every function (missing: {', '.join(rows)})."
        else:
            missing[question.code] = f"{question.label}: an answer is required."
    problem = consistency_problems(config, answers)
    missing.update(problem)
    return missing


def consistency_problems(config: EngineConfig, answers: Mapping[str, Any]) -> dict[str, str]:
    """Answers that contradict each other, by question code (only where both are asked)."""
    question = config.question("program_regions")
    if question is None or "program_regions" not in effective_answers(config, answers):
        return {}
    problem = region_problem(answers)
    return {"program_regions": f"{question.label}: {problem}"} if problem else {}
