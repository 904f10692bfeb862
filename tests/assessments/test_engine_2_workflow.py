"""Engine 2.0 through the application: questionnaire v2 from its migration, publishing rules,
submitting and re-scoring, engine 1.0.0 snapshots on every surface, and tipping points in the
portal and the API."""

import io
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments import reports, selectors, services
from assessments.figures import format_points
from assessments.models import AssessmentStatus, Question, Recommendation, ScoringWeight
from assessments.scoring import ENGINE_VERSION, needs_low_sentence
from core.errors import ApplicationError
from engagements.models import MembershipRole
from tests.assessments.reference import (
    LARGE_PHARMA_TARGETED_GAPS,
    for_v2,
    neutral_answers,
    reference_config_v2,
)
from tests.factories import (
    AssessmentFactory,
    CapabilityFactory,
    MembershipFactory,
    ProviderFactory,
    SponsorFactory,
    api_client,
    api_key,
    reference_questionnaire,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db

ENGINE_1 = json.loads((Path(__file__).parent / "engine_1_snapshot.json").read_text())


# --- Questionnaire v2 and the sentences ------------------------------------------------------------


def test_the_migration_gives_every_v1_weight_its_sentences_and_leaves_its_scoring_alone():
    from importlib import import_module

    v1_data = import_module("assessments.migrations.0002_reference_questionnaire")
    weights = ScoringWeight.objects.filter(question__questionnaire=reference_questionnaire()).select_related(
        "question"
    )
    stored = {(w.question.code, w.option, w.target): (w.weight, w.rationale) for w in weights}
    assert stored == {(c, o, t): (float(w), r) for c, o, t, w, r in v1_data.WEIGHTS}
    for weight in weights:
        assert weight.sentence_high, weight
        assert bool(weight.sentence_low) == needs_low_sentence(weight.question.kind, weight.option), weight
    assert services.questionnaire_problems(reference_questionnaire()) == []


def test_v2_is_published_with_program_regions_and_the_functions_asked_for_every_scope():
    v2 = reference_questionnaire(version=2)
    assert v2.status == "published" and selectors.latest_published_questionnaire() == v2
    regions = v2.questions.get(code="program_regions")
    assert regions.show_if == {
        "question": "geographic_footprint",
        "operator": "not_equals",
        "value": "global",
    }
    assert set(regions.choices.values_list("value", flat=True)) == {
        "north_america",
        "latin_america",
        "europe",
        "middle_east_africa",
        "asia_pacific",
    }
    assert v2.questions.get(code="functions_to_outsource").show_if is None
    assert services.questionnaire_problems(v2) == []
    built, expected = selectors.engine_config(v2), reference_config_v2()
    assert [q.code for q in built.questions] == [q.code for q in expected.questions]
    for ours, theirs in zip(built.questions, expected.questions, strict=True):
        assert (ours.kind, ours.choices, ours.required, ours.show_if) == (
            theirs.kind,
            theirs.choices,
            theirs.required,
            theirs.show_if,
        )
        assert set(ours.weights) == set(theirs.weights)


def test_publishing_needs_a_sentence_for_each_direction_an_answer_can_take(account_manager):
    draft = services.new_questionnaire_version(
        questionnaire=reference_questionnaire(version=2), by=account_manager
    )
    scale = ScoringWeight.objects.get(
        question__questionnaire=draft, question__code="clinical_leadership", target="fsp"
    )
    choice = ScoringWeight.objects.get(
        question__questionnaire=draft, question__code="sponsor_profile", option="large_pharma", target="fsp"
    )
    scale.sentence_low = ""
    scale.save()
    choice.sentence_high = " "
    choice.save()
    with pytest.raises(ApplicationError) as error:
        services.publish_questionnaire(questionnaire=draft)
    assert "clinical_leadership → fsp: needs a sentence for a low answer." in error.value.message
    assert "sponsor_profile [large_pharma] → fsp: needs a sentence when it is chosen." in error.value.message
    draft.refresh_from_db()
    assert draft.status == "draft"
    scale.sentence_low = "FSP teams need experienced leaders on your side."
    scale.save()
    choice.sentence_high = "Large sponsors can direct functional teams."
    choice.save()
    assert services.publish_questionnaire(questionnaire=draft).status == "published"


# --- Submitting on v2 ------------------------------------------------------------------------------


def _v2_assessment(**kwargs):
    return AssessmentFactory(questionnaire=reference_questionnaire(version=2), **kwargs)


def test_a_v2_assessment_is_submitted_with_tipping_points_groups_and_gaps():
    CapabilityFactory(provider=ProviderFactory(name="Northwind FSP", kind="fsp", engagement_models=["fsp"]))
    assessment = _v2_assessment()
    services.save_answers(assessment=assessment, answers=for_v2(neutral_answers()))
    recommendation = services.submit_assessment(assessment=assessment)
    assert recommendation.engine_version == ENGINE_VERSION == "2.0.0"
    assert recommendation.questionnaire_version == "Outsourcing model assessment v2"
    assert isinstance(recommendation.tipping_points, list) and recommendation.tipping_points
    assert set(recommendation.driver_groups) == {"for", "against", "alternative", "notes"}
    assert recommendation.confidence_basis["changes"] > 0
    groups = {g["delivery"] for g in recommendation.delivery_groups}
    assert {e["delivery"] for e in recommendation.shortlist} == groups - {"in_house"}
    assert recommendation.inputs["answers"]["program_regions"] == ["north_america", "europe"]  # catalog order


def test_regions_that_do_not_fit_the_footprint_are_refused_and_nothing_is_saved():
    assessment = _v2_assessment()
    with pytest.raises(ApplicationError) as error:
        services.save_answers(
            assessment=assessment,
            answers={"geographic_footprint": "single_region", "program_regions": ["europe", "asia_pacific"]},
        )
    assert "choose exactly one region" in error.value.field_errors["program_regions"][0]
    assert selectors.answers_of(assessment) == {}
    services.save_answers(
        assessment=assessment,
        answers={"geographic_footprint": "multi_region", "program_regions": ["europe", "asia_pacific"]},
    )
    with pytest.raises(ApplicationError):  # changing the footprint alone would contradict the regions
        services.save_answers(assessment=assessment, answers={"geographic_footprint": "single_country"})
    assert selectors.answers_of(assessment)["geographic_footprint"] == "multi_region"


def test_the_api_refuses_regions_that_do_not_fit_with_a_clear_error(sponsor_key):
    sponsor, client = sponsor_key
    assessment = _v2_assessment(sponsor=sponsor)
    services.send_assessment(assessment=assessment)
    response = client.post(
        f"/api/v1/assessments/{assessment.pk}/answers/",
        {"answers": {"geographic_footprint": "multi_region", "program_regions": ["europe"]}},
        format="json",
    )
    assert response.status_code == 400
    assert "at least two regions" in json.dumps(response.json())
    assert selectors.answers_of(assessment) == {}


@pytest.fixture
def sponsor_key(db):
    sponsor = SponsorFactory()
    return sponsor, api_client(api_key(sponsor=sponsor)[1])


# --- Engine 1.0.0 snapshots keep working ------------------------------------------------------------


@pytest.fixture
def engine_1(db):
    """A v1 assessment whose only recommendation is a real engine 1.0.0 snapshot."""
    member = MembershipFactory(role=MembershipRole.CONTRIBUTOR)
    assessment = AssessmentFactory(sponsor=member.sponsor)
    services.save_answers(assessment=assessment, answers=LARGE_PHARMA_TARGETED_GAPS)
    assessment.status, assessment.submitted_at = AssessmentStatus.SUBMITTED, timezone.now()
    assessment.save()
    snapshot = ENGINE_1["snapshot"]
    recommendation = Recommendation.objects.create(
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
        inputs={"answers": ENGINE_1["answers"], "sponsor_regions": ["europe", "north_america"]},
        provider_catalog_fingerprint="0" * 64,
    )
    return member, assessment, recommendation


def test_an_engine_1_snapshot_renders_in_the_admin(engine_1, am_client):
    _, assessment, recommendation = engine_1
    for url in (
        reverse("admin:assessments_assessment_change", args=[assessment.pk]),
        reverse("admin:assessments_recommendation_change", args=[recommendation.pk]),
    ):
        page = am_client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "Recommended model: FSP" in text and "What drove it" in text and "Engine version 1.0.0" in text
        assert "{#" not in text and "{%" not in text
        assert "Helix Functional Services" in text


def test_an_engine_1_snapshot_renders_in_the_portal_and_its_what_if_uses_the_current_engine(engine_1, client):
    member, assessment, _ = engine_1
    client.force_login(member.user)
    page = client.get(reverse("portal:recommendation", args=[assessment.pk]))
    assert page.status_code == 200
    assert "What drove it" in page.content.decode() and "What would change" not in page.content.decode()
    response = client.post(reverse("portal:what_if", args=[assessment.pk]), {"timeline_pressure": "5"})
    assert response.status_code == 200 and "With those changes" in response.content.decode()
    assert response.context["what_if"]["comparison"]["model_before"] == "fsp"


def test_an_engine_1_snapshot_makes_a_pdf(engine_1):
    _, assessment, _ = engine_1
    report = reports.request_report(assessment=assessment)
    assert reports.generate(report.pk, worker_token="t") == "ready"
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)
    assert "Recommended model: FSP" in text and "What drove the recommendation" in text
    assert "Engine 1.0.0" in text


def test_an_engine_1_snapshot_is_served_by_the_api_with_null_engine_2_fields(engine_1):
    _, assessment, recommendation = engine_1
    client = api_client(api_key(sponsor=assessment.sponsor)[1])
    body = client.get(f"/api/v1/recommendations/{recommendation.pk}/").json()
    assert body["engine_version"] == "1.0.0" and body["drivers"] == ENGINE_1["snapshot"]["drivers"]
    for field in (
        "driver_groups",
        "confidence_basis",
        "delivery_groups",
        "plan_gaps",
        "sensitivity",
        "tipping_points",
    ):
        assert body[field] is None


def test_recomputing_an_engine_1_snapshot_makes_a_true_engine_2_one_and_keeps_the_old(engine_1):
    _, assessment, old = engine_1
    recommendation, created = services.recompute_recommendation(assessment=assessment)
    assert created and recommendation.engine_version == "2.0.0"
    assert set(Recommendation.objects.filter(assessment=assessment)) == {old, recommendation}
    # 14 of 14 functions strong: engine 1 told this sponsor "Strong in some functions and absent in
    # others is the classic case for mixing models"; engine 2 says what is true for it.
    mixed = next(
        d
        for d in recommendation.drivers
        if d["question"] == "internal_capabilities" and d["option"] == "__mixed__"
    )
    assert mixed["direction"] == "low" and "classic case for mixing" not in mixed["sentence"]
    assert "much the same across functions" in mixed["sentence"]
    assert not any("Offers the fsp model" in r for e in recommendation.shortlist for r in e["reasons"])
    assert recommendation.tipping_points is not None


def test_rescoring_a_batch_stores_tipping_points(engine_1):
    _, assessment, _ = engine_1
    assert services.rescore_assessments(assessment_ids=[assessment.pk]) == (1, 1)
    latest = selectors.latest_recommendation(assessment)
    assert latest.engine_version == "2.0.0" and latest.tipping_points is not None


# --- Tipping points in the portal and the API --------------------------------------------------------


@pytest.fixture
def close_call(db):
    member = MembershipFactory(role=MembershipRole.CONTRIBUTOR)
    assessment = submitted_assessment(sponsor=member.sponsor, answers=neutral_answers())
    return member, assessment, Recommendation.objects.get(assessment=assessment)


def test_the_portal_shows_the_top_three_tipping_points_beside_the_what_if(close_call, client):
    member, assessment, recommendation = close_call
    client.force_login(member.user)
    page = client.get(reverse("portal:recommendation", args=[assessment.pk])).content.decode()
    assert "{#" not in page and "{%" not in page  # no template source shown as text
    what_if = page[page.index('id="what-if"') :]
    assert "What would change the recommendation" in what_if
    shown = [text.strip() for text in re.findall(r"<li>(With [^<]*)", what_if)]
    assert shown == [t["sentence"] for t in recommendation.tipping_points[:3]]
    assert what_if.count("Try this change") == 3


def test_trying_a_tipping_point_shows_its_model_and_stores_nothing(close_call, client):
    member, assessment, recommendation = close_call
    client.force_login(member.user)
    point = recommendation.tipping_points[0]
    response = client.post(reverse("portal:what_if", args=[assessment.pk]), {"tipping_point": "1"})
    assert response.status_code == 200
    result = response.context["what_if"]["recommendation"]
    assert result["model"] == point["model"] != recommendation.model
    assert result["scores"] == point["scores"]
    page = response.content.decode()
    assert "The recommendation would change from" in page
    words = point["changes"][0]["words"]
    assert f"Changed: {words[:1].upper()}{words[1:]}" in page
    assert Recommendation.objects.filter(assessment=assessment).count() == 1


@pytest.mark.parametrize("value", ["0", "99", "x", ""])
def test_an_unknown_tipping_point_is_a_clear_error(close_call, client, value):
    member, assessment, _ = close_call
    client.force_login(member.user)
    response = client.post(reverse("portal:what_if", args=[assessment.pk]), {"tipping_point": value})
    assert response.status_code == 400
    assert "There is no such tipping point" in response.content.decode()


def test_the_api_serves_tipping_points_that_the_what_if_confirms(close_call):
    _, assessment, recommendation = close_call
    client = api_client(api_key(sponsor=assessment.sponsor)[1])
    body = client.get(f"/api/v1/recommendations/{recommendation.pk}/").json()
    point = body["tipping_points"][0]
    assert body["sensitivity"] and body["confidence_basis"]["sentence"]
    changes = {c["question"]: c["value"] for c in point["changes"]}
    what_if = client.post(
        f"/api/v1/assessments/{assessment.pk}/what-if/", {"changes": changes}, format="json"
    )
    assert what_if.status_code == 200
    assert what_if.json()["recommendation"]["model"] == point["model"]
    assert what_if.json()["recommendation"]["scores"] == point["scores"]


# --- One number, one reading -----------------------------------------------------------------------


def test_each_score_reads_the_same_in_the_chart_the_caption_the_pdf_and_the_api(close_call, client):
    member, assessment, recommendation = close_call
    client.force_login(member.user)
    page = client.get(reverse("portal:recommendation", args=[assessment.pk])).content.decode()
    section = page[page.index('class="recommendation"') : page.index('id="what-if"')]
    chart = re.findall(r'font-weight="(?:bold|normal)" fill="#1a1a1a">([0-9.]+)</text>', section)
    caption = re.findall(r"(?:Full-service CRO|FSP|Hybrid) ([0-9.]+)", section.split("<figcaption>")[1])
    expected = [format_points(recommendation.scores[m]) for m in ("full_service", "fsp", "hybrid")]
    assert chart == caption[:3] == expected
    api = api_client(api_key(sponsor=assessment.sponsor)[1]).get(
        f"/api/v1/recommendations/{recommendation.pk}/"
    )
    assert [format_points(api.json()["scores"][m]) for m in ("full_service", "fsp", "hybrid")] == expected
    report = reports.request_report(assessment=assessment)
    reports.generate(report.pk, worker_token="t")
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        text = " ".join(
            " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(handle.read())).pages
        )
    assert f"Full-service CRO: {expected[0]} · FSP: {expected[1]} · Hybrid: {expected[2]}" in text


def test_questions_of_v1_are_untouched_by_v2():
    v1_codes = set(
        Question.objects.filter(questionnaire=reference_questionnaire()).values_list("code", flat=True)
    )
    assert "program_regions" not in v1_codes
    assert Question.objects.get(
        questionnaire=reference_questionnaire(), code="functions_to_outsource"
    ).show_if
