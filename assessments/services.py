"""Writes for questionnaires and assessments: the assessment workflow and recommendations."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assessments import selectors
from assessments.engine import Outcome, SponsorContext, compare, recommend
from assessments.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Channel,
    Choice,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    Recommendation,
    ScoringWeight,
    Section,
)
from assessments.scoring import ENGINE_VERSION, FEATURES, SHOW_IF_OPERATORS, needs_low_sentence
from assessments.validation import consistency_problems, missing_answers, validate_answers
from core import webhooks
from core.errors import ApplicationError, Conflict
from core.models import WebhookEvent
from engagements.models import Engagement, Sponsor

OPEN_FOR_ANSWERS = (AssessmentStatus.DRAFT, AssessmentStatus.SENT, AssessmentStatus.IN_PROGRESS)


# --- Questionnaires -----------------------------------------------------------------------------


def ensure_questionnaire_editable(questionnaire: Questionnaire) -> None:
    if questionnaire.is_frozen:
        raise ApplicationError(
            f"{questionnaire} is {questionnaire.get_status_display().lower()} and cannot be changed; "
            f"create a new version to make changes."
        )


def questionnaire_problems(questionnaire: Questionnaire) -> list[str]:
    """What would make a questionnaire unusable: checked before it can be published."""
    problems = []
    questions = list(questionnaire.questions.select_related("section").prefetch_related("choices"))
    if not questions:
        problems.append("It has no questions.")
    order = {q.code: (q.section.position, q.position, q.pk) for q in questions}
    for question in questions:
        if question.kind in ("single", "multi", "matrix") and not question.choices.all():
            problems.append(
                f"{question.code}: a {question.get_kind_display().lower()} question needs choices."
            )
        if question.kind == "number" and (question.min_value is None or question.max_value is None):
            problems.append(f"{question.code}: a number question needs a minimum and a maximum.")
        condition = question.show_if
        if condition:
            if not isinstance(condition, dict) or set(condition) != {"question", "operator", "value"}:
                problems.append(f"{question.code}: show-if needs exactly question, operator and value.")
            elif condition["question"] not in order:
                problems.append(
                    f"{question.code}: show-if refers to unknown question {condition['question']}."
                )
            elif order[condition["question"]] >= order[question.code]:
                problems.append(f"{question.code}: show-if must refer to an earlier question.")
            elif condition["operator"] not in SHOW_IF_OPERATORS:
                problems.append(f"{question.code}: unknown show-if operator {condition['operator']}.")
    problems.extend(_weight_problems(questions))
    return problems


def _weight_problems(questions) -> list[str]:
    """Every weight needs a known option and a sentence for each direction its answer can take."""
    problems = []
    weights = ScoringWeight.objects.filter(question__in=questions).select_related("question")
    choices = {q.pk: {c.value for c in q.choices.all()} for q in questions}
    for weight in weights.order_by("question__section__position", "question__position", "option", "target"):
        question = weight.question
        kind, option = question.kind, weight.option
        where = f"{question.code} → {weight.get_target_display().lower()}"
        if option:
            known = (
                (option in choices[question.pk])
                if not option.startswith("__")
                else (option in FEATURES.get(kind, ()))
            )
            if kind in ("single", "multi", "matrix") and not known:
                problems.append(f"{where}: “{option}” is neither a choice nor a feature of this question.")
                continue
            where = f"{question.code} [{option}] → {weight.get_target_display().lower()}"
        if not weight.sentence_high.strip():
            side = (
                "when it is chosen"
                if kind == "single" or (kind == "multi" and not option.startswith("__"))
                else ("for a high answer")
            )
            problems.append(f"{where}: needs a sentence {side}.")
        if needs_low_sentence(kind, option) and not weight.sentence_low.strip():
            problems.append(f"{where}: needs a sentence for a low answer.")
    return problems


@transaction.atomic
def publish_questionnaire(*, questionnaire: Questionnaire, by=None) -> Questionnaire:
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    ensure_questionnaire_editable(locked)
    problems = questionnaire_problems(locked)
    if problems:
        raise ApplicationError(f"{locked} cannot be published: " + " ".join(problems))
    locked.status = QuestionnaireStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at"])
    return locked


@transaction.atomic
def retire_questionnaire(*, questionnaire: Questionnaire, by=None) -> Questionnaire:
    if questionnaire.status != QuestionnaireStatus.PUBLISHED:
        raise ApplicationError(f"Only a published questionnaire can be retired; {questionnaire} is not.")
    questionnaire.status = QuestionnaireStatus.RETIRED
    questionnaire.save(update_fields=["status"])
    return questionnaire


@transaction.atomic
def new_questionnaire_version(*, questionnaire: Questionnaire, by=None) -> Questionnaire:
    """Copy a questionnaire (sections, questions, choices, weights) into a new draft version."""
    latest = Questionnaire.objects.filter(name=questionnaire.name).aggregate(v=Max("version"))["v"] or 0
    copy = Questionnaire.objects.create(
        name=questionnaire.name,
        version=latest + 1,
        description=questionnaire.description,
        parameters=questionnaire.parameters,
        created_by=by,
    )
    for section in questionnaire.sections.prefetch_related("questions__choices", "questions__weights"):
        new_section = Section.objects.create(
            questionnaire=copy,
            title=section.title,
            description=section.description,
            position=section.position,
        )
        for question in section.questions.all():
            new_question = Question.objects.create(
                questionnaire=copy,
                section=new_section,
                **{
                    f: getattr(question, f)
                    for f in (
                        "code",
                        "label",
                        "text",
                        "help_text",
                        "kind",
                        "required",
                        "position",
                        "min_value",
                        "max_value",
                        "show_if",
                    )
                },
            )
            Choice.objects.bulk_create(
                Choice(
                    question=new_question,
                    value=c.value,
                    label=c.label,
                    specialised=c.specialised,
                    position=c.position,
                )
                for c in question.choices.all()
            )
            ScoringWeight.objects.bulk_create(
                ScoringWeight(
                    question=new_question,
                    option=w.option,
                    target=w.target,
                    weight=w.weight,
                    rationale=w.rationale,
                    sentence_low=w.sentence_low,
                    sentence_high=w.sentence_high,
                )
                for w in question.weights.all()
            )
    return copy


# --- Assessments --------------------------------------------------------------------------------


def check_new_assessment(
    *, sponsor: Sponsor | None, questionnaire: Questionnaire | None, engagement: Engagement | None
) -> None:
    """Refuse an assessment that could not be answered: no published questionnaire, wrong engagement."""
    if questionnaire is None:
        raise ApplicationError(
            "There is no published questionnaire to send.",
            field_errors={"questionnaire": "Choose a questionnaire."},
        )
    if questionnaire.status != QuestionnaireStatus.PUBLISHED:
        status = questionnaire.get_status_display().lower()
        raise ApplicationError(
            f"{questionnaire} is {status}; only a published version can be sent.",
            field_errors={"questionnaire": f"{questionnaire} is {status}; choose a published version."},
        )
    if engagement is not None and sponsor is not None and engagement.sponsor_id != sponsor.pk:
        raise ApplicationError(
            "The engagement belongs to another sponsor.",
            field_errors={"engagement": "This engagement belongs to another sponsor."},
        )


@transaction.atomic
def create_assessment(
    *,
    sponsor: Sponsor,
    questionnaire: Questionnaire | None = None,
    engagement: Engagement | None = None,
    title: str = "",
    due_date: date | None = None,
    by=None,
) -> Assessment:
    questionnaire = questionnaire or selectors.latest_published_questionnaire()
    check_new_assessment(sponsor=sponsor, questionnaire=questionnaire, engagement=engagement)
    return Assessment.objects.create(
        sponsor=sponsor,
        questionnaire=questionnaire,
        engagement=engagement,
        title=title or f"{questionnaire.name} — {sponsor.name}",
        due_date=due_date,
        created_by=by,
    )


def _lock(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update()
        .select_related("questionnaire", "sponsor")
        .get(pk=assessment.pk)
    )


@transaction.atomic
def send_assessment(*, assessment: Assessment, by=None, due_date: date | None = None) -> Assessment:
    """Send to the sponsor: its people can now answer in the portal."""
    locked = _lock(assessment)
    if locked.status not in (AssessmentStatus.DRAFT, AssessmentStatus.SENT):
        raise Conflict(f"This assessment is {locked.get_status_display().lower()}; it was already sent.")
    locked.status = AssessmentStatus.SENT
    locked.sent_at = timezone.now()
    locked.sent_by = by
    if due_date is not None:
        locked.due_date = due_date
    locked.save(update_fields=["status", "sent_at", "sent_by", "due_date", "updated_at"])
    return locked


@transaction.atomic
def update_assessment(*, assessment: Assessment, **changes) -> Assessment:
    """Change the title, due date or engagement of an assessment that is still open."""
    locked = _lock(assessment)
    if locked.is_locked:
        raise Conflict(
            f"This assessment is {locked.get_status_display().lower()}; it can no longer be changed."
        )
    engagement = changes.get("engagement", locked.engagement)
    check_new_assessment(sponsor=locked.sponsor, questionnaire=locked.questionnaire, engagement=engagement)
    for field in ("title", "due_date", "engagement"):
        if field in changes:
            setattr(locked, field, changes[field])
    locked.save()
    return locked


@transaction.atomic
def delete_assessment(*, assessment: Assessment) -> None:
    """Only an assessment nobody has answered yet can be deleted; the rest is the record."""
    locked = _lock(assessment)
    if locked.is_locked or locked.answers.exists():
        raise Conflict("This assessment has answers or a recommendation and is kept for the record.")
    locked.delete()


@transaction.atomic
def save_answers(
    *, assessment: Assessment, answers: Mapping[str, Any], by=None, via: str = Channel.PORTAL
) -> dict[str, Any]:
    """Validate and store a batch of answers. Any error rejects the whole batch; None clears one."""
    if not isinstance(answers, Mapping):
        raise Conflict("Answers must be an object mapping question codes to values.")
    locked = _lock(assessment)
    if locked.status not in OPEN_FOR_ANSWERS:
        raise Conflict(f"This assessment is {locked.get_status_display().lower()}; its answers are locked.")
    config = selectors.engine_config(locked.questionnaire)
    clean, errors = validate_answers(config, answers)
    if not errors and clean:
        merged = {**selectors.answers_of(locked), **clean}
        errors = consistency_problems(config, {k: v for k, v in merged.items() if v is not None})
    if errors:
        raise ApplicationError("Some answers were not accepted; nothing was saved.", field_errors=errors)
    questions = dict(
        Question.objects.filter(questionnaire=locked.questionnaire, code__in=clean).values_list("code", "pk")
    )
    now = timezone.now()
    existing = {
        a.question_id: a for a in Answer.objects.filter(assessment=locked, question_id__in=questions.values())
    }
    for code, value in clean.items():
        question_id = questions[code]
        answer = existing.get(question_id)
        if value is None:
            if answer:
                answer.delete()
            continue
        if answer is None:
            Answer.objects.create(
                assessment=locked,
                question_id=question_id,
                value=value,
                answered_by=by,
                answered_via=via,
                answered_at=now,
            )
        elif answer.value != value:
            answer.value, answer.answered_by, answer.answered_via, answer.answered_at = value, by, via, now
            answer.save(update_fields=["value", "answered_by", "answered_via", "answered_at"])
    if clean and locked.status in (AssessmentStatus.DRAFT, AssessmentStatus.SENT):
        locked.status = AssessmentStatus.IN_PROGRESS
        locked.started_at = locked.started_at or now
        locked.save(update_fields=["status", "started_at", "updated_at"])
    assessment.status = locked.status
    return selectors.answers_of(locked)


def compute_outcome(
    assessment: Assessment, answers: Mapping[str, Any], *, tipping: bool = True
) -> tuple[Outcome, str]:
    """Run the engine for an assessment's sponsor against the current provider catalog (with the
    tipping points, unless `tipping` is False)."""
    outcome, fingerprint = compute_outcomes(assessment, [answers], tipping=tipping)
    return outcome[0], fingerprint


def compute_outcomes(
    assessment: Assessment, answer_sets: list[Mapping[str, Any]], *, tipping: bool = True
) -> tuple[list[Outcome], str]:
    """The engine on several answer sets of one assessment, reading the catalog once."""
    config = selectors.engine_config(assessment.questionnaire)
    profiles = selectors.provider_profiles()
    context = selectors.sponsor_context(assessment.sponsor)
    outcomes = [
        recommend(config, answers, context=context, providers=profiles, tipping=tipping)
        for answers in answer_sets
    ]
    return outcomes, selectors.catalog_fingerprint(profiles)


def _store(assessment: Assessment, outcome: Outcome, fingerprint: str, by) -> Recommendation:
    snapshot = outcome.snapshot()
    return Recommendation.objects.create(
        assessment=assessment,
        engine_version=snapshot["engine_version"],
        questionnaire_version=str(assessment.questionnaire),
        model=snapshot["model"],
        scores=snapshot["scores"],
        confidence=snapshot["confidence"],
        confidence_label=snapshot["confidence_label"],
        drivers=snapshot["drivers"],
        function_plan=snapshot["function_plan"],
        boutique_fit=snapshot["boutique_fit"],
        ai_readiness=snapshot["ai_readiness"],
        shortlist=snapshot["shortlist"],
        driver_groups=snapshot["driver_groups"],
        confidence_basis=snapshot["confidence_basis"],
        delivery_groups=snapshot["delivery_groups"],
        plan_gaps=snapshot["plan_gaps"],
        sensitivity=snapshot["sensitivity"],
        tipping_points=snapshot["tipping_points"],
        inputs={
            "answers": dict(outcome.answers),
            "sponsor_regions": list(outcome.context.regions),
        },
        provider_catalog_fingerprint=fingerprint,
        created_by=by,
    )


@transaction.atomic
def submit_assessment(*, assessment: Assessment, by=None, via: str = Channel.PORTAL) -> Recommendation:
    """Lock the answers and produce the recommendation. Refused while required answers are missing."""
    locked = _lock(assessment)
    if locked.status not in OPEN_FOR_ANSWERS:
        raise Conflict(
            f"This assessment is {locked.get_status_display().lower()}; it cannot be submitted again."
        )
    config = selectors.engine_config(locked.questionnaire)
    answers = selectors.answers_of(locked)
    missing = missing_answers(config, answers)
    if missing:
        raise ApplicationError(
            f"{len(missing)} required question(s) still need an answer; nothing was submitted.",
            field_errors=missing,
        )
    outcome, fingerprint = compute_outcome(locked, answers)
    recommendation = _store(locked, outcome, fingerprint, by)
    locked.status = AssessmentStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = by
    locked.submitted_via = via
    locked.save(update_fields=["status", "submitted_at", "submitted_by", "submitted_via", "updated_at"])
    assessment.status, assessment.submitted_at = locked.status, locked.submitted_at
    webhooks.emit(
        WebhookEvent.ASSESSMENT_SUBMITTED,
        sponsor_id=locked.sponsor_id,
        data={
            "assessment": str(locked.pk),
            "sponsor": str(locked.sponsor_id),
            "submitted_at": locked.submitted_at.isoformat(),
            "submitted_via": via,
        },
    )
    _announce(recommendation)
    return recommendation


def _announce(recommendation: Recommendation) -> None:
    webhooks.emit(
        WebhookEvent.RECOMMENDATION_CREATED,
        sponsor_id=recommendation.assessment.sponsor_id,
        data={
            "recommendation": str(recommendation.pk),
            "assessment": str(recommendation.assessment_id),
            "sponsor": str(recommendation.assessment.sponsor_id),
            "model": recommendation.model,
            "scores": recommendation.scores,
            "confidence": recommendation.confidence,
            "engine_version": recommendation.engine_version,
        },
    )


@transaction.atomic
def review_assessment(*, assessment: Assessment, by, comment: str = "") -> Assessment:
    locked = _lock(assessment)
    if locked.status != AssessmentStatus.SUBMITTED:
        status = locked.get_status_display().lower()
        raise Conflict(f"Only a submitted assessment can be marked reviewed; this one is {status}.")
    locked.status = AssessmentStatus.REVIEWED
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = by
    locked.review_comment = comment.strip()
    locked.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_comment", "updated_at"])
    return locked


@transaction.atomic
def recompute_recommendation(*, assessment: Assessment, by=None) -> tuple[Recommendation, bool]:
    """Re-run the engine on the stored answers. A new snapshot is made only when the engine or the
    provider catalog changed; the earlier ones are kept. Returns (recommendation, created)."""
    locked = _lock(assessment)
    if not locked.is_locked:
        raise Conflict("Only a submitted assessment has a recommendation to recompute.")
    latest = selectors.latest_recommendation(locked)
    outcome, fingerprint = compute_outcome(
        locked, latest.inputs["answers"] if latest else selectors.answers_of(locked)
    )
    if (
        latest
        and latest.engine_version == ENGINE_VERSION
        and latest.provider_catalog_fingerprint == fingerprint
    ):
        return latest, False
    recommendation = _store(locked, outcome, fingerprint, by)
    _announce(recommendation)
    return recommendation, True


def what_if(*, assessment: Assessment, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The recommendation a submitted assessment would get with some answers changed. Stores nothing."""
    if not isinstance(changes, Mapping) or not changes:
        raise ApplicationError(
            "Give at least one answer to change, as an object of question codes to values."
        )
    if not assessment.is_locked:
        raise Conflict("What-if works on a submitted assessment.")
    latest = selectors.latest_recommendation(assessment)
    config = selectors.engine_config(assessment.questionnaire)
    clean, errors = validate_answers(config, changes)
    if errors:
        raise ApplicationError("Some changed answers are not valid.", field_errors=errors)
    answers = {**latest.inputs["answers"], **clean}
    answers = {code: value for code, value in answers.items() if value is not None}
    missing = missing_answers(config, answers)
    if missing:
        raise ApplicationError(
            "These changes leave required questions unanswered or at odds with each other.",
            field_errors=missing,
        )
    # The comparison is with the current engine on the stored answers, so it shows what the
    # changed answers do, not what a newer engine or provider catalog does.
    (current, changed), _ = compute_outcomes(assessment, [latest.inputs["answers"], answers], tipping=False)
    before, after = current.snapshot(), changed.snapshot()
    return {"changes": clean, "recommendation": after, "comparison": compare(before, after)}


def rescore_assessments(*, assessment_ids, by=None) -> tuple[int, int]:
    """Recompute the recommendations of many submitted assessments (after an engine or provider
    catalog change), loading the catalog once. Returns (assessments scored, new snapshots)."""
    profiles = selectors.provider_profiles()
    fingerprint = selectors.catalog_fingerprint(profiles)
    assessments = list(
        Assessment.objects.filter(
            pk__in=list(assessment_ids), status__in=[AssessmentStatus.SUBMITTED, AssessmentStatus.REVIEWED]
        )
        .select_related("sponsor", "questionnaire")
        .prefetch_related("sponsor__regions")
    )
    latest = {}  # oldest first, so the newest snapshot of each assessment wins
    for recommendation in Recommendation.objects.filter(assessment__in=assessments).order_by("created_at"):
        latest[recommendation.assessment_id] = recommendation
    all_regions = tuple(selectors.all_region_codes())
    names = selectors.catalog_names()
    created = 0
    for assessment in assessments:
        previous = latest.get(assessment.pk)
        unchanged = previous and previous.engine_version == ENGINE_VERSION
        if unchanged and previous.provider_catalog_fingerprint == fingerprint:
            continue
        answers = previous.inputs["answers"] if previous else selectors.answers_of(assessment)
        context = SponsorContext(
            regions=tuple(
                r.code for r in sorted(assessment.sponsor.regions.all(), key=lambda r: (r.position, r.name))
            ),
            all_regions=all_regions,
            names=names,
        )
        config = selectors.engine_config(assessment.questionnaire)
        outcome = recommend(config, answers, context=context, providers=profiles, tipping=True)
        with transaction.atomic():
            _announce(_store(assessment, outcome, fingerprint, by))
        created += 1
    return len(assessments), created


# --- Signed acts (21 CFR Part 11; core/signatures.py) ------------------------------------------


@transaction.atomic
def sign_recommendation(
    *, assessment: Assessment, by, meaning: str, comment: str, request, password: str, code: str
):
    """Review or approve the assessment's current recommendation with an electronic signature.

    The first signature marks a submitted assessment reviewed (the comment is its review comment);
    later ones (an approval, a second reviewer) add to it. Nothing changes when a component is wrong.
    """
    from core import signatures

    locked = _lock(assessment)
    if locked.status not in (AssessmentStatus.SUBMITTED, AssessmentStatus.REVIEWED):
        status = locked.get_status_display().lower()
        raise Conflict(f"Only a submitted assessment's recommendation can be signed; this one is {status}.")
    recommendation = selectors.latest_recommendation(locked)
    if recommendation is None:
        raise Conflict("This assessment has no recommendation to sign.")
    if len(comment.strip()) < 5:
        raise ApplicationError(
            "Write what you reviewed or approved (at least five characters): it is recorded with "
            "the signature.",
            field_errors={"comment": "Write a comment of at least five characters."},
        )
    signature = signatures.sign(
        record=recommendation,
        signer=by,
        meaning=meaning,
        request=request,
        password=password,
        code=code,
        comment=comment,
    )
    if locked.status == AssessmentStatus.SUBMITTED:
        review_assessment(assessment=locked, by=by, comment=comment)
    return signature


@transaction.atomic
def publish_questionnaire_signed(
    *, questionnaire: Questionnaire, by, meaning: str, comment: str, request, password: str, code: str
):
    """Publish a draft questionnaire; publishing is a signed act (who authored or approved it)."""
    from core import signatures

    published = publish_questionnaire(questionnaire=questionnaire, by=by)
    return signatures.sign(
        record=published,
        signer=by,
        meaning=meaning,
        request=request,
        password=password,
        code=code,
        comment=comment,
    )
