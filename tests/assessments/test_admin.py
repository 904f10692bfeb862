"""Account managers create, send, read and review assessments in the admin."""

import pytest
from django.urls import reverse

from assessments.models import Assessment, AssessmentStatus
from tests.assessments.reference import EMERGING_BIOTECH_NO_INFRASTRUCTURE
from tests.factories import (
    AssessmentFactory,
    CapabilityFactory,
    EngagementFactory,
    ProviderFactory,
    SponsorFactory,
    reference_questionnaire,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


def test_recommendation_is_readable_not_raw_json(am_client):
    CapabilityFactory(provider=ProviderFactory(name="Atlas Clinical"))
    assessment = submitted_assessment(answers=EMERGING_BIOTECH_NO_INFRASTRUCTURE)
    page = am_client.get(
        reverse("admin:assessments_assessment_change", args=[assessment.pk])
    ).content.decode()
    assert "Recommended model: Full-service CRO" in page
    assert "<svg" in page and "Score per outsourcing model" in page
    assert "Per-function delivery plan" in page
    assert "Atlas Clinical" in page
    assert "favours full-service CRO" in page
    assert '"drivers"' not in page


def test_add_form_refuses_an_engagement_of_another_sponsor(am_client):
    sponsor, engagement = SponsorFactory(), EngagementFactory()
    response = am_client.post(
        reverse("admin:assessments_assessment_add"),
        {
            "sponsor": sponsor.pk,
            "engagement": engagement.pk,
            "questionnaire": reference_questionnaire().pk,
            "title": "",
            "due_date": "",
            "answers-TOTAL_FORMS": "0",
            "answers-INITIAL_FORMS": "0",
            "reports-TOTAL_FORMS": "0",
            "reports-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "This engagement belongs to another sponsor." in response.content.decode()
    assert not Assessment.objects.exists()


def test_add_form_creates_a_draft_for_the_sponsor(am_client, account_manager):
    sponsor = SponsorFactory()
    response = am_client.post(
        reverse("admin:assessments_assessment_add"),
        {
            "sponsor": sponsor.pk,
            "questionnaire": reference_questionnaire().pk,
            "title": "",
            "due_date": "2026-12-31",
            "answers-TOTAL_FORMS": "0",
            "answers-INITIAL_FORMS": "0",
            "reports-TOTAL_FORMS": "0",
            "reports-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(sponsor=sponsor)
    assert assessment.created_by == account_manager
    assert str(assessment.due_date) == "2026-12-31"


def test_send_action(am_client, account_manager):
    assessment = AssessmentFactory()
    am_client.post(
        reverse("admin:assessments_assessment_changelist"),
        {"action": "send", "_selected_action": [assessment.pk]},
    )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SENT
    assert assessment.sent_by == account_manager


def _signer(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device) -> str:
    from django_otp.oath import totp

    device.throttle_reset()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_review_page_signs_and_marks_reviewed_with_a_comment(am_client, account_manager):
    from tests.factories import PASSWORD

    device = _signer(account_manager)
    assessment = submitted_assessment()
    url = reverse("admin:assessments_assessment_review", args=[assessment.pk])
    page = am_client.get(url).content.decode()
    assert "electronic signature" in page and "Your password" in page
    am_client.post(
        url,
        {
            "meaning": "reviewed",
            "comment": "Agreed a hybrid plan with their COO.",
            "password": PASSWORD,
            "code": _code(device),
        },
    )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.REVIEWED
    assert assessment.review_comment == "Agreed a hybrid plan with their COO."
    assert assessment.reviewed_by == account_manager


def test_reviewing_a_draft_is_refused_with_a_message(am_client):
    assessment = AssessmentFactory()
    response = am_client.post(
        reverse("admin:assessments_assessment_review", args=[assessment.pk]),
        {"comment": "Looks fine to me"},
        follow=True,
    )
    assert "no recommendation to review yet" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_recompute_asks_for_a_reason_first(am_client):
    assessment = submitted_assessment()
    response = am_client.post(
        reverse("admin:assessments_assessment_changelist"),
        {"action": "recompute", "_selected_action": [assessment.pk]},
    )
    assert "Reason for this change" in response.content.decode()
    too_short = am_client.post(
        reverse("admin:assessments_assessment_changelist"),
        {"action": "recompute", "_selected_action": [assessment.pk], "reason": "x"},
    )
    assert "Please give a reason" in too_short.content.decode()


def test_recompute_action_reports_when_nothing_changed(am_client):
    assessment = submitted_assessment()
    response = am_client.post(
        reverse("admin:assessments_assessment_changelist"),
        {"action": "recompute", "_selected_action": [assessment.pk], "reason": "Provider catalog refreshed"},
        follow=True,
    )
    assert "nothing changed" in response.content.decode()


def test_a_review_needs_a_written_reason(am_client, account_manager):
    from tests.factories import PASSWORD

    device = _signer(account_manager)
    assessment = submitted_assessment()
    response = am_client.post(
        reverse("admin:assessments_assessment_review", args=[assessment.pk]),
        {"meaning": "reviewed", "comment": "", "password": PASSWORD, "code": _code(device)},
    )
    assert response.status_code == 400
    assert "at least five characters" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


def test_recommendations_cannot_be_changed_or_deleted_in_the_admin(am_client):
    recommendation = submitted_assessment().recommendations.get()
    change = am_client.get(reverse("admin:assessments_recommendation_change", args=[recommendation.pk]))
    assert change.status_code == 200
    assert "Recommended model" in change.content.decode()
    assert (
        am_client.post(
            reverse("admin:assessments_recommendation_delete", args=[recommendation.pk])
        ).status_code
        == 403
    )


def test_an_engine_2_recommendation_shows_its_groups_tipping_points_and_sensitivity(am_client):
    from assessments.scoring import MODEL_LABELS

    assessment = submitted_assessment()  # the neutral answers: a close call
    recommendation = assessment.recommendations.get()
    page = am_client.get(
        reverse("admin:assessments_assessment_change", args=[assessment.pk])
    ).content.decode()
    assert f"Why {MODEL_LABELS[recommendation.model]}" in page
    assert "What speaks against it" in page and "The closest alternative:" in page
    assert "What would change the recommendation" in page
    assert len(recommendation.tipping_points) > 3
    for point in recommendation.tipping_points[:3]:
        assert point["sentence"] in page
    assert recommendation.tipping_points[3]["sentence"] not in page  # the top three
    assert "Try this change" not in page  # trying one is the sponsor's what-if, in the portal
    assert "The answers the decision rests on most" in page
    assert "Engine version 2.0.0" in page
