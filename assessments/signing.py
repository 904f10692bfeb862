"""What a signature on an assessments record covers (core/signatures.py): the exact content.

A recommendation is signed as its whole immutable snapshot. A questionnaire is signed as its
content (texts, questions, choices, weights with their sentences, engine parameters), not its
status, so publishing or retiring it does not change what was signed, while any edit would.
"""

from core import signatures
from core.models import SignatureMeaning


def _fields(obj, *, skip=()) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in skip}


def recommendation_content(recommendation) -> dict:
    return _fields(recommendation)


def questionnaire_content(questionnaire) -> dict:
    sections = []
    for section in questionnaire.sections.order_by("position", "pk").prefetch_related(
        "questions__choices", "questions__weights"
    ):
        questions = []
        for question in sorted(section.questions.all(), key=lambda q: (q.position, str(q.pk))):
            questions.append(
                {
                    **_fields(question, skip=("section_id",)),
                    "choices": [
                        _fields(c, skip=("question_id",))
                        for c in sorted(question.choices.all(), key=lambda c: (c.position, str(c.pk)))
                    ],
                    "weights": [
                        _fields(w, skip=("question_id",))
                        for w in sorted(question.weights.all(), key=lambda w: str(w.pk))
                    ],
                }
            )
        sections.append({**_fields(section, skip=("questionnaire_id",)), "questions": questions})
    return {**_fields(questionnaire, skip=("status", "published_at")), "sections": sections}


def register() -> None:
    from assessments.models import Questionnaire, Recommendation

    signatures.register(
        Recommendation,
        content=recommendation_content,
        meanings=(SignatureMeaning.REVIEWED, SignatureMeaning.APPROVED),
    )
    signatures.register(
        Questionnaire,
        content=questionnaire_content,
        meanings=(SignatureMeaning.AUTHORED, SignatureMeaning.REVIEWED, SignatureMeaning.APPROVED),
    )
