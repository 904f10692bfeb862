"""Portal pages for assessments: answer section by section, review, submit, read the
recommendation, try what-ifs, and get the PDF report."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import reports, selectors, services
from assessments.downloads import report_file_response
from assessments.forms import SectionForm
from assessments.models import Assessment, AssessmentStatus, Channel, Report, Section
from assessments.presentation import (
    answer_rows,
    plan_change_rows,
    recommendation_context,
    shortlist_change_rows,
)
from assessments.scoring import MODEL_LABELS, describe_answer, visible_questions
from assessments.validation import missing_answers
from core.errors import ApplicationError
from engagements.portal import STASH_KEY, portal_view

# Questions offered in the what-if panel: the ones sponsors most often want to test.
WHAT_IF_QUESTIONS = (
    "outsourcing_scope",
    "geographic_footprint",
    "timeline_pressure",
    "strategic_control",
    "end_to_end_accountability",
    "clinical_leadership",
    "oversight_capacity",
    "therapeutic_complexity",
)


def _assessment(request, assessment_id) -> Assessment:
    """The assessment, if it belongs to the sponsor the member is acting for; otherwise 404."""
    return get_object_or_404(
        selectors.assessments_visible_to(request.user)
        .filter(sponsor=request.portal.sponsor)
        .exclude(status=AssessmentStatus.DRAFT)
        .select_related("questionnaire", "sponsor"),
        pk=assessment_id,
    )


def _sections(assessment: Assessment) -> list[Section]:
    return list(Section.objects.filter(questionnaire=assessment.questionnaire).order_by("position", "id"))


def _section_questions(config, number: int):
    """The questions of the section at this place (1 = first), in order, from the engine config."""
    return [q for q in config.questions if q.section == number - 1]


@require_GET
@portal_view
def assessment_start(request, assessment_id):
    """Open an assessment where it makes sense: the recommendation once submitted, otherwise the
    first section with an unanswered required question (or the review page when all are done)."""
    assessment = _assessment(request, assessment_id)
    if assessment.is_locked:
        return redirect("portal:recommendation", assessment.pk)
    config = selectors.engine_config(assessment.questionnaire)
    missing = missing_answers(config, selectors.answers_of(assessment))
    for number, _section in enumerate(_sections(assessment), start=1):
        if any(q.code in missing for q in _section_questions(config, number)):
            return redirect("portal:assessment_section", assessment.pk, number)
    return redirect("portal:assessment_review", assessment.pk)


@require_http_methods(["GET", "POST"])
@portal_view
def assessment_section(request, assessment_id, section):
    assessment = _assessment(request, assessment_id)
    if assessment.is_locked:
        return redirect("portal:recommendation", assessment.pk)
    sections = _sections(assessment)
    if not 1 <= section <= len(sections):
        raise Http404("No such section.")
    current = sections[section - 1]
    config = selectors.engine_config(assessment.questionnaire)
    answers = selectors.answers_of(assessment)
    questions = _section_questions(config, section)
    here = {q.code for q in questions}
    # A question that depends on an answer given on another page is shown only when it applies;
    # one that depends on this page is shown and toggled in the browser (or by the hint).
    questions = [
        q
        for q in questions
        if q.show_if is None or q.show_if.question in here or q.show_if.holds(answers.get(q.show_if.question))
    ]
    data = request.POST if request.method == "POST" else None
    stash = request.session.get(STASH_KEY)
    restored = False
    if data is None and stash and stash.get("path") == request.path:
        data = _stashed_data(stash["data"])
        restored = True
        del request.session[STASH_KEY]
    form = SectionForm(data, questions=questions, answers=answers)
    if request.method == "POST":
        if not request.portal.can_answer:
            messages.error(request, "Your role lets you read this assessment, not answer it.")
        elif form.is_valid():
            try:
                services.save_answers(
                    assessment=assessment, answers=form.answers(), by=request.user, via=Channel.PORTAL
                )
            except ApplicationError as error:
                for code, problems in error.field_errors.items():
                    form.add_question_error(code, " ".join(problems))
                if not error.field_errors:
                    form.add_error(None, error.message)
            else:
                action = request.POST.get("action", "next")
                if action == "exit":
                    messages.success(request, "Your answers are saved. Come back any time to continue.")
                    return redirect("portal:dashboard")
                if action == "back" and section > 1:
                    return redirect("portal:assessment_section", assessment.pk, section - 1)
                if action == "next" and section < len(sections):
                    return redirect("portal:assessment_section", assessment.pk, section + 1)
                return redirect("portal:assessment_review", assessment.pk)
    answered = len(answers)
    return render(
        request,
        "portal/assessment_section.html",
        {
            "assessment": assessment,
            "section": current,
            "number": section,
            "sections": sections,
            "form": form,
            "blocks": list(form.blocks()),
            "progress": round(100 * answered / len(config.questions)) if config.questions else 0,
            "answered": answered,
            "total": len(config.questions),
            "can_answer": request.portal.can_answer,
            "restored": restored,
            "show_if_labels": {q.code: q.label for q in config.questions},
        },
    )


def _stashed_data(data: dict):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, values)
    return query


@require_GET
@portal_view
def assessment_review(request, assessment_id):
    assessment = _assessment(request, assessment_id)
    if assessment.is_locked:
        return redirect("portal:recommendation", assessment.pk)
    return _render_review(request, assessment)


def _render_review(request, assessment, *, status=200, error=None):
    config = selectors.engine_config(assessment.questionnaire)
    answers = selectors.answers_of(assessment)
    missing = missing_answers(config, answers)
    sections = []
    rows = {row["code"]: row for row in answer_rows(config, answers)}
    visible = {q.code for q in visible_questions(config, answers)}
    for number, section in enumerate(_sections(assessment), start=1):
        codes = [q.code for q in _section_questions(config, number)]
        sections.append(
            {
                "number": number,
                "section": section,
                "rows": [{**rows[c], "missing": missing.get(c)} for c in codes if c in visible and c in rows],
            }
        )
    return render(
        request,
        "portal/assessment_review.html",
        {
            "assessment": assessment,
            "sections": sections,
            "missing": missing,
            "error": error,
            "can_answer": request.portal.can_answer,
        },
        status=status,
    )


@require_POST
@portal_view
def assessment_submit(request, assessment_id):
    assessment = _assessment(request, assessment_id)
    if assessment.is_locked:
        return redirect("portal:recommendation", assessment.pk)
    if not request.portal.can_answer:
        messages.error(request, "Your role lets you read this assessment, not submit it.")
        return redirect("portal:assessment_review", assessment.pk)
    try:
        services.submit_assessment(assessment=assessment, by=request.user, via=Channel.PORTAL)
    except ApplicationError as error:
        return _render_review(request, assessment, status=400, error=error.message)
    messages.success(request, "Thank you: your assessment is submitted and your recommendation is ready.")
    return redirect("portal:recommendation", assessment.pk)


def _recommendation_page(
    request, assessment, *, what_if=None, what_if_errors=None, status=200, changed_words=None
):
    recommendation = selectors.latest_recommendation(assessment)
    if recommendation is None:
        raise Http404("No recommendation yet.")
    config = selectors.engine_config(assessment.questionnaire)
    current = recommendation.inputs.get("answers", {})
    fields = []
    for code in WHAT_IF_QUESTIONS:
        question = config.question(code)
        if question is None:
            continue
        choices = (
            [(str(v), str(v)) for v in range(1, 6)]
            if question.kind == "scale"
            else [(c, question.choice_labels.get(c, c)) for c in question.choices]
        )
        chosen = (what_if or {}).get("changes", {}).get(code, current.get(code))
        fields.append(
            {
                "code": code,
                "label": question.text,
                "choices": choices,
                "current": str(current.get(code, "")),
                "value": str(chosen) if chosen is not None else "",
            }
        )
    return render(
        request,
        "portal/recommendation.html",
        {
            "assessment": assessment,
            "recommendation": recommendation,
            "rec": recommendation_context(recommendation),
            "what_if_fields": fields,
            "what_if": what_if,
            "what_if_rec": recommendation_context(what_if["recommendation"]) if what_if else None,
            "what_if_before_label": (MODEL_LABELS[what_if["comparison"]["model_before"]] if what_if else ""),
            "what_if_changes": changed_words
            or [
                f"{config.question(code).label}: {describe_answer(config.question(code), value)}"
                for code, value in (what_if or {}).get("changes", {}).items()
                if config.question(code) is not None and value is not None
            ],
            "what_if_plan_changes": (
                plan_change_rows(what_if["comparison"]["plan_changes"], config) if what_if else []
            ),
            "what_if_shortlist_changes": (
                shortlist_change_rows(what_if["comparison"]["shortlist_changes"]) if what_if else []
            ),
            "what_if_errors": what_if_errors,
            "reports": Report.objects.filter(assessment=assessment).order_by("-created_at")[:5],
            "signatures": selectors.recommendation_signatures(assessment, latest=recommendation),
        },
        status=status,
    )


@require_GET
@portal_view
def recommendation(request, assessment_id):
    assessment = _assessment(request, assessment_id)
    if not assessment.is_locked:
        return redirect("portal:assessment", assessment.pk)
    return _recommendation_page(request, assessment)


@require_POST
@portal_view
def what_if(request, assessment_id):
    """Re-score with a few answers changed and show what would move; nothing is stored."""
    assessment = _assessment(request, assessment_id)
    if not assessment.is_locked:
        return redirect("portal:assessment", assessment.pk)
    config = selectors.engine_config(assessment.questionnaire)
    recommendation = selectors.latest_recommendation(assessment)
    current = recommendation.inputs.get("answers", {}) if recommendation else {}
    if "tipping_point" in request.POST:
        return _try_tipping_point(request, assessment, recommendation)
    changes = {}
    for code in WHAT_IF_QUESTIONS:
        raw = request.POST.get(code)
        question = config.question(code)
        if raw in (None, "") or question is None:
            continue
        value = int(raw) if question.kind == "scale" and raw.isdigit() else raw
        if value != current.get(code):
            changes[code] = value
    if not changes:
        messages.info(request, "Change at least one answer to see how the recommendation would move.")
        return redirect("portal:recommendation", assessment.pk)
    try:
        result = services.what_if(assessment=assessment, changes=changes)
    except ApplicationError as error:
        return _recommendation_page(request, assessment, what_if_errors=error, status=400)
    return _recommendation_page(request, assessment, what_if=result)


def _try_tipping_point(request, assessment, recommendation):
    """The what-if of one of the recommendation's own tipping points (numbered from 1)."""
    points = (recommendation.tipping_points or []) if recommendation else []
    raw = request.POST.get("tipping_point", "")
    number = int(raw) if raw.isdigit() else 0
    if not 1 <= number <= len(points):
        error = ApplicationError("There is no such tipping point for this recommendation.")
        return _recommendation_page(request, assessment, what_if_errors=error, status=400)
    point = points[number - 1]
    changes = {change["question"]: change["value"] for change in point["changes"]}
    try:
        result = services.what_if(assessment=assessment, changes=changes)
    except ApplicationError as error:
        return _recommendation_page(request, assessment, what_if_errors=error, status=400)
    words = [change["words"][:1].upper() + change["words"][1:] for change in point["changes"]]
    return _recommendation_page(request, assessment, what_if=result, changed_words=words)


@require_POST
@portal_view
def report_request(request, assessment_id):
    assessment = _assessment(request, assessment_id)
    try:
        report = reports.request_report(assessment=assessment, by=request.user, via=Channel.PORTAL)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if report.status == "ready":
            messages.success(request, "Your report is ready to download.")
        else:
            messages.info(
                request, "Your report is being prepared; it usually takes a few seconds. Refresh to see it."
            )
    return redirect(reverse("portal:recommendation", args=[assessment.pk]) + "#reports")


@require_GET
@portal_view
def report_download(request, report_id):
    report = get_object_or_404(
        selectors.reports_visible_to(request.user)
        .filter(assessment__sponsor=request.portal.sponsor)
        .select_related("assessment__sponsor"),
        pk=report_id,
    )
    return report_file_response(report)
