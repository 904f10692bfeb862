"""Questionnaires as data: the v1 contract, versioning and the immutability of published versions."""

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Choice, Question, Questionnaire, QuestionnaireStatus, ScoringWeight, Section
from core.errors import ApplicationError
from tests.factories import AssessmentFactory, SponsorFactory, reference_questionnaire

pytestmark = pytest.mark.django_db

V1 = {
    "sponsor_profile": (
        "single",
        {"emerging_biotech", "mid_size_pharma", "large_pharma", "medical_device", "academic_nonprofit"},
    ),
    "internal_capabilities": ("matrix", "functions"),
    "clinical_leadership": ("scale", None),
    "oversight_capacity": ("scale", None),
    "outsourcing_scope": ("single", {"entire_program", "multiple_functions", "specific_functions"}),
    "functions_to_outsource": ("multi", "functions"),
    "geographic_footprint": ("single", {"single_country", "single_region", "multi_region", "global"}),
    "timeline_pressure": ("scale", None),
    "portfolio_growth": ("single", {"stable", "growing", "rapid"}),
    "resource_variability": ("scale", None),
    "strategic_control": ("scale", None),
    "flexibility_importance": ("scale", None),
    "end_to_end_accountability": ("scale", None),
    "partnership_level": ("single", {"transactional", "collaborative", "strategic"}),
    "senior_support": ("scale", None),
    "therapeutic_areas": ("multi", "therapeutic_areas"),
    "therapeutic_complexity": ("scale", None),
    "ai_maturity_required": ("scale", None),
    "ai_capabilities_needed": ("multi", "ai_capabilities"),
    "sponsor_ai_platform": ("boolean", None),
    "data_governance_maturity": ("scale", None),
    "budget_flexibility": ("scale", None),
}


def test_reference_v1_has_exactly_the_design_codes_kinds_and_values():
    from providers.models import AICapability, ClinicalFunction, TherapeuticArea

    catalogs = {
        "functions": set(ClinicalFunction.objects.values_list("code", flat=True)),
        "therapeutic_areas": set(TherapeuticArea.objects.values_list("code", flat=True)),
        "ai_capabilities": set(AICapability.objects.values_list("code", flat=True)),
    }
    questionnaire = reference_questionnaire()
    assert questionnaire.status == QuestionnaireStatus.PUBLISHED
    questions = {q.code: q for q in questionnaire.questions.prefetch_related("choices")}
    assert set(questions) == set(V1)
    for code, (kind, values) in V1.items():
        assert questions[code].kind == kind, code
        choices = {c.value for c in questions[code].choices.all()}
        expected = catalogs[values] if isinstance(values, str) else values or set()
        assert choices == expected, code


def test_every_weight_has_a_rationale_and_a_known_option():
    from assessments.scoring import FEATURES

    for weight in ScoringWeight.objects.filter(
        question__questionnaire=reference_questionnaire()
    ).select_related("question"):
        assert weight.rationale, weight
        kind = weight.question.kind
        if kind == "single" or (kind == "multi" and not weight.option.startswith("__")):
            assert weight.question.choices.filter(value=weight.option).exists(), weight
        elif weight.option:
            assert weight.option in FEATURES[kind], weight


def test_published_questionnaire_cannot_be_edited_by_any_door():
    questionnaire = reference_questionnaire()
    question = questionnaire.questions.get(code="clinical_leadership")
    question.text = "Changed"
    with pytest.raises(ApplicationError):
        question.save()
    with pytest.raises(ApplicationError):
        Choice.objects.filter(question__questionnaire=questionnaire).first().delete()
    weight = ScoringWeight.objects.filter(question=question).first()
    weight.weight = 9
    with pytest.raises(ApplicationError):
        weight.save()
    with pytest.raises(ApplicationError):
        Section.objects.create(questionnaire=questionnaire, title="Extra")
    questionnaire.description = "Edited"
    with pytest.raises(ApplicationError):
        questionnaire.save()
    assert Question.objects.get(pk=question.pk).text != "Changed"


def test_a_published_questionnaire_can_only_retire():
    questionnaire = reference_questionnaire()
    questionnaire.status = QuestionnaireStatus.DRAFT
    with pytest.raises(ApplicationError):
        questionnaire.save()
    services.retire_questionnaire(questionnaire=reference_questionnaire())
    assert reference_questionnaire().status == QuestionnaireStatus.RETIRED


def test_new_version_copies_everything_into_an_editable_draft(account_manager):
    original = reference_questionnaire()
    draft = services.new_questionnaire_version(questionnaire=original, by=account_manager)
    assert (draft.version, draft.status) == (3, QuestionnaireStatus.DRAFT)  # v2 is published already
    assert draft.questions.count() == original.questions.count()
    assert (
        Choice.objects.filter(question__questionnaire=draft).count()
        == Choice.objects.filter(question__questionnaire=original).count()
    )
    assert (
        ScoringWeight.objects.filter(question__questionnaire=draft).count()
        == ScoringWeight.objects.filter(question__questionnaire=original).count()
    )
    question = draft.questions.get(code="clinical_leadership")
    question.text = "How strong is your clinical leadership today?"
    question.save()
    assert original.questions.get(code="clinical_leadership").text != question.text


def test_publish_checks_the_draft_and_freezes_it(account_manager):
    draft = services.new_questionnaire_version(questionnaire=reference_questionnaire(), by=account_manager)
    broken = draft.questions.get(code="functions_to_outsource")
    broken.show_if = {"question": "budget_flexibility", "operator": "in", "value": ["x"]}
    broken.save()
    with pytest.raises(ApplicationError) as error:
        services.publish_questionnaire(questionnaire=draft)
    assert "must refer to an earlier question" in error.value.message
    broken.show_if = None
    broken.save()
    published = services.publish_questionnaire(questionnaire=draft)
    assert published.status == QuestionnaireStatus.PUBLISHED and published.published_at


def test_only_published_questionnaires_can_be_sent(account_manager):
    draft = services.new_questionnaire_version(questionnaire=reference_questionnaire(), by=account_manager)
    with pytest.raises(ApplicationError) as error:
        services.create_assessment(sponsor=SponsorFactory(), questionnaire=draft)
    assert "only a published version" in error.value.message


def test_admin_shows_a_published_questionnaire_read_only(client, superuser):
    client.force_login(superuser)
    questionnaire = reference_questionnaire()
    question = questionnaire.questions.get(code="clinical_leadership")
    url = reverse("admin:assessments_question_change", args=[question.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="text"' not in page.content.decode()
    response = client.post(url, {"text": "Changed", "code": "clinical_leadership"})
    assert response.status_code == 403
    assert Question.objects.get(pk=question.pk).text != "Changed"


def test_admin_publish_action_reports_problems(client, superuser):
    client.force_login(superuser)
    empty = Questionnaire.objects.create(name="Empty", version=1)
    response = client.post(
        reverse("admin:assessments_questionnaire_changelist"),
        {"action": "publish", "_selected_action": [empty.pk]},
        follow=True,
    )
    assert "It has no questions" in response.content.decode()
    empty.refresh_from_db()
    assert empty.status == QuestionnaireStatus.DRAFT


def test_admin_new_version_action(client, superuser):
    client.force_login(superuser)
    client.post(
        reverse("admin:assessments_questionnaire_changelist"),
        {"action": "create_new_version", "_selected_action": [reference_questionnaire().pk]},
    )
    assert Questionnaire.objects.filter(name="Outsourcing model assessment", version=2).exists()
    assert AssessmentFactory().questionnaire.version == 1
