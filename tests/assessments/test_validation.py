"""Every answer kind, and every way an answer can be wrong."""

import pytest

from assessments.scoring import QuestionSpec
from assessments.validation import AnswerError, missing_answers, validate_answer, validate_answers
from tests.assessments.reference import FUNCTIONS, neutral_answers, reference_config

CONFIG = reference_config()


def q(code):
    return CONFIG.question(code)


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        ("sponsor_profile", "large_pharma", "large_pharma"),
        (
            "functions_to_outsource",
            ["medical_writing", "biostatistics"],
            ["biostatistics", "medical_writing"],
        ),
        ("functions_to_outsource", [], []),
        ("clinical_leadership", 1, 1),
        ("clinical_leadership", 5, 5),
        ("sponsor_ai_platform", False, False),
        (
            "internal_capabilities",
            {"biostatistics": 3, "clinical_operations": 0},
            {"clinical_operations": 0, "biostatistics": 3},
        ),
    ],
)
def test_valid_answers_are_returned_in_canonical_form(code, value, expected):
    assert validate_answer(q(code), value) == expected


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("sponsor_profile", "big_pharma", "“big_pharma” is not a choice"),
        ("sponsor_profile", 3, "Expected one of the choice codes"),
        ("functions_to_outsource", "biostatistics", "Expected a list of choice codes"),
        ("functions_to_outsource", ["biostatistics", "astrology"], "Unknown choice(s): astrology"),
        ("functions_to_outsource", ["biostatistics", "biostatistics"], "only once"),
        ("clinical_leadership", 0, "0 is out of range"),
        ("clinical_leadership", 6, "6 is out of range"),
        ("clinical_leadership", 3.5, "whole number"),
        ("clinical_leadership", "4", "whole number"),
        ("clinical_leadership", True, "whole number"),
        ("sponsor_ai_platform", "yes", "Expected true or false"),
        ("sponsor_ai_platform", 1, "Expected true or false"),
        ("internal_capabilities", [1, 2], "Expected an object"),
        ("internal_capabilities", {"astrology": 1}, "Unknown row(s): astrology"),
        ("internal_capabilities", {"biostatistics": 4}, "biostatistics: expected a level from 0"),
        ("internal_capabilities", {"biostatistics": "strong"}, "expected a level from 0"),
    ],
)
def test_invalid_answers_are_refused_with_a_clear_message(code, value, message):
    with pytest.raises(AnswerError) as error:
        validate_answer(q(code), value)
    assert message in error.value.message
    assert error.value.question == code


def test_number_questions_check_type_and_range():
    question = QuestionSpec(code="sites", kind="number", label="Sites", minimum=1, maximum=500)
    assert validate_answer(question, 40) == 40
    assert validate_answer(question, 2.5) == 2.5
    for bad, message in [
        (0, "out of range"),
        (501, "out of range"),
        ("40", "Expected a number"),
        (False, "number"),
    ]:
        with pytest.raises(AnswerError) as error:
            validate_answer(question, bad)
        assert message in error.value.message
    with pytest.raises(AnswerError):
        validate_answer(question, float("nan"))


def test_a_batch_reports_every_bad_answer_by_question_and_unknown_codes():
    clean, errors = validate_answers(
        CONFIG,
        {
            "clinical_leadership": 9,
            "favourite_colour": "blue",
            "timeline_pressure": 4,
            "senior_support": None,
        },
    )
    assert set(errors) == {"clinical_leadership", "favourite_colour"}
    assert "not a question of this questionnaire" in errors["favourite_colour"]
    assert clean == {"timeline_pressure": 4, "senior_support": None}


def test_missing_required_answers_are_named():
    answers = neutral_answers()
    del answers["clinical_leadership"]
    answers["internal_capabilities"] = {"biostatistics": 2}
    missing = missing_answers(CONFIG, answers)
    assert set(missing) == {"clinical_leadership", "internal_capabilities"}
    assert "Clinical leadership: an answer is required" in missing["clinical_leadership"]
    assert FUNCTIONS[0] in missing["internal_capabilities"]


def test_hidden_questions_are_not_required():
    answers = neutral_answers(outsourcing_scope="entire_program")
    del answers["functions_to_outsource"]
    assert missing_answers(CONFIG, answers) == {}


def test_shown_multi_choice_needs_at_least_one_selection():
    missing = missing_answers(CONFIG, neutral_answers(functions_to_outsource=[]))
    assert set(missing) == {"functions_to_outsource"}


def test_optional_questions_may_stay_empty():
    answers = neutral_answers()
    del answers["ai_capabilities_needed"]
    assert missing_answers(CONFIG, answers) == {}


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_an_unbounded_number_question_still_refuses_infinity(value):
    # JSON's 1e999 parses as infinity, which no database column or JSON document can hold.
    question = QuestionSpec(code="budget", kind="number", label="Budget")
    assert validate_answer(question, 1e300) == 1e300
    with pytest.raises(AnswerError) as error:
        validate_answer(question, value)
    assert "Expected a number" in error.value.message
