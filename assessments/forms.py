"""The portal's assessment forms, built from the questionnaire (one form per section)."""

from typing import Any

from django import forms

from assessments.scoring import MATRIX_LEVELS, QuestionSpec

SCALE_CHOICES = [(str(v), f"{v}") for v in range(1, 6)]
BOOLEAN_CHOICES = [("true", "Yes"), ("false", "No")]
MATRIX_CHOICES = [(str(level), label.capitalize()) for level, label in MATRIX_LEVELS.items()]


def field_name(code: str) -> str:
    return f"q-{code}"


def matrix_field_name(code: str, row: str) -> str:
    return f"q-{code}--{row}"


class SectionForm(forms.Form):
    """Answers for the questions of one section. Nothing is required here: the answers are
    saved as the sponsor goes, and completeness is checked on submit."""

    def __init__(
        self, *args, questions: list[QuestionSpec], answers: dict[str, Any], row_labels=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.row_labels = row_labels or {}
        for question in questions:
            initial = answers.get(question.code)
            if question.kind == "matrix":
                for row in question.choices:
                    self.fields[matrix_field_name(question.code, row)] = forms.ChoiceField(
                        label=question.choice_labels.get(row, row),
                        choices=MATRIX_CHOICES,
                        required=False,
                        widget=forms.RadioSelect,
                        initial=str((initial or {}).get(row)) if initial and row in initial else None,
                    )
                continue
            self.fields[field_name(question.code)] = self._field(question, initial)

    @staticmethod
    def _field(question: QuestionSpec, initial) -> forms.Field:
        common = {"label": question.text, "required": False, "help_text": ""}
        if question.kind == "single":
            return forms.ChoiceField(
                choices=[(c, question.choice_labels.get(c, c)) for c in question.choices],
                widget=forms.RadioSelect,
                initial=initial,
                **common,
            )
        if question.kind == "multi":
            return forms.MultipleChoiceField(
                choices=[(c, question.choice_labels.get(c, c)) for c in question.choices],
                widget=forms.CheckboxSelectMultiple,
                initial=initial or [],
                **common,
            )
        if question.kind == "scale":
            return forms.ChoiceField(
                choices=SCALE_CHOICES,
                widget=forms.RadioSelect,
                initial=str(initial) if initial else None,
                **common,
            )
        if question.kind == "boolean":
            value = None if initial is None else ("true" if initial else "false")
            return forms.ChoiceField(
                choices=BOOLEAN_CHOICES, widget=forms.RadioSelect, initial=value, **common
            )
        return forms.FloatField(
            min_value=question.minimum, max_value=question.maximum, initial=initial, localize=False, **common
        )

    def answers(self) -> dict[str, Any]:
        """The submitted answers as the API takes them; an emptied field clears its answer."""
        answers: dict[str, Any] = {}
        for question in self.questions:
            if question.kind == "matrix":
                levels = {}
                for row in question.choices:
                    value = self.cleaned_data.get(matrix_field_name(question.code, row))
                    if value not in (None, ""):
                        levels[row] = int(value)
                answers[question.code] = levels or None
                continue
            value = self.cleaned_data.get(field_name(question.code))
            if value in (None, "", []):
                answers[question.code] = None
                continue
            if question.kind == "scale":
                value = int(value)
            elif question.kind == "boolean":
                value = value == "true"
            answers[question.code] = value
        return answers

    def add_question_error(self, code: str, message: str) -> None:
        question = next((q for q in self.questions if q.code == code), None)
        if question is None:
            self.add_error(None, message)
        elif question.kind == "matrix":
            self.add_error(matrix_field_name(code, question.choices[0]), message)
        else:
            self.add_error(field_name(code), message)

    def blocks(self):
        """Each question with its bound field(s), for the template (a show-if's expected value as
        the page script reads it: a list as its items joined by "|", anything else as it is)."""
        for question in self.questions:
            block = {"question": question, "show_if_value": _show_if_value(question)}
            if question.kind == "matrix":
                rows = [self[matrix_field_name(question.code, row)] for row in question.choices]
                yield {**block, "rows": rows, "errors": [e for r in rows for e in r.errors]}
            else:
                bound = self[field_name(question.code)]
                yield {**block, "field": bound, "errors": bound.errors}


def _show_if_value(question: QuestionSpec) -> str:
    if question.show_if is None:
        return ""
    value = question.show_if.value
    return "|".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
