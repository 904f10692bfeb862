"""Answering an assessment in the portal, reading the recommendation, what-if and the PDF."""

import pytest
from django.urls import reverse

from assessments import selectors, services
from assessments.models import AssessmentStatus, Recommendation, Report
from engagements.models import MembershipRole
from providers.models import ClinicalFunction
from tests.assessments.reference import FUNCTIONS, neutral_answers
from tests.factories import AssessmentFactory, EngagementFactory, FollowUpFactory, submitted_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(member):
    assessment = AssessmentFactory(sponsor=member.sponsor, title="Outsourcing 2027")
    services.send_assessment(assessment=assessment)
    return assessment


def _section_url(assessment, number):
    return reverse("portal:assessment_section", args=[assessment.pk, number])


def _section_one(**overrides):
    data = {f"q-internal_capabilities--{f}": "2" for f in FUNCTIONS}
    data.update(
        {"q-sponsor_profile": "large_pharma", "q-clinical_leadership": "4", "q-oversight_capacity": "3"}
    )
    data.update(overrides)
    return data


def test_dashboard_shows_the_sponsors_work_and_nobody_elses(member_client, member, sent, other_sponsor):
    EngagementFactory(sponsor=member.sponsor, name="Our phase II study")
    FollowUpFactory(engagement__sponsor=member.sponsor, title="Review the shortlist together")
    EngagementFactory(sponsor=other_sponsor, name="Their secret study")
    draft = AssessmentFactory(sponsor=member.sponsor, title="Not sent yet")
    page = member_client.get(reverse("portal:dashboard")).content.decode()
    assert "Our phase II study" in page and "Outsourcing 2027" in page
    assert "Review the shortlist together" in page
    assert member.sponsor.owner.email in page
    assert "Their secret study" not in page
    assert draft.title not in page


def test_opening_a_new_assessment_starts_at_the_first_section(member_client, sent):
    response = member_client.get(reverse("portal:assessment", args=[sent.pk]))
    assert response["Location"] == _section_url(sent, 1)


def test_a_section_page_shows_its_questions_progress_and_the_function_grid(member_client, sent):
    page = member_client.get(_section_url(sent, 1)).content.decode()
    assert "Which best describes your organisation?" in page
    assert 'aria-current="step"' in page and "section 1 of 5" in page
    assert page.count('name="q-internal_capabilities--clinical_operations"') == 4  # four levels per row
    assert '<table class="matrix">' in page


def test_save_and_continue_stores_the_answers_and_moves_on(member_client, sent, member):
    response = member_client.post(_section_url(sent, 1), {**_section_one(), "action": "next"})
    assert response["Location"] == _section_url(sent, 2)
    answers = selectors.answers_of(sent)
    assert answers["sponsor_profile"] == "large_pharma"
    assert answers["clinical_leadership"] == 4
    assert answers["internal_capabilities"]["biostatistics"] == 2
    sent.refresh_from_db()
    assert sent.status == AssessmentStatus.IN_PROGRESS


def test_a_bad_value_is_reported_next_to_its_question_and_nothing_is_saved(member_client, sent):
    response = member_client.post(
        _section_url(sent, 1), {**_section_one(**{"q-clinical_leadership": "9"}), "action": "next"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="error-clinical_leadership"' in page
    assert "nothing on this page was saved" in page
    assert 'value="large_pharma" checked' in page  # what was typed is kept
    assert selectors.answers_of(sent) == {}


def test_save_and_finish_later_returns_to_the_dashboard(member_client, sent):
    response = member_client.post(_section_url(sent, 1), {**_section_one(), "action": "exit"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:dashboard")
    assert "Your answers are saved" in response.content.decode()
    assert member_client.get(reverse("portal:assessment", args=[sent.pk]))["Location"] == _section_url(
        sent, 2
    )


def test_conditional_questions_carry_their_condition_for_the_browser(member_client, sent):
    page = member_client.get(_section_url(sent, 2)).content.decode()
    assert 'data-show-if-question="outsourcing_scope"' in page
    assert 'data-show-if-value="multiple_functions|specific_functions"' in page
    assert "Only needed depending on your answer to “Scope”" in page  # the no-JavaScript hint


def test_an_expired_session_keeps_what_was_typed(client, member, sent):
    response = client.post(_section_url(sent, 1), {**_section_one(), "action": "next"})
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]
    client.force_login(member.user)
    page = client.get(_section_url(sent, 1)).content.decode()
    assert "Your session had expired" in page
    assert 'value="large_pharma" checked' in page
    assert selectors.answers_of(sent) == {}  # restored on screen, saved only when they confirm


def test_a_viewer_reads_but_cannot_answer(client, member, sent):
    member.role = MembershipRole.VIEWER
    member.save()
    client.force_login(member.user)
    page = client.get(_section_url(sent, 1)).content.decode()
    assert "only contributors can answer it" in page and "disabled" in page
    client.post(_section_url(sent, 1), {**_section_one(), "action": "next"})
    assert selectors.answers_of(sent) == {}


def test_review_lists_what_is_missing_and_submit_refuses_until_complete(member_client, sent):
    answers = neutral_answers()
    del answers["therapeutic_areas"]
    services.save_answers(assessment=sent, answers=answers)
    page = member_client.get(reverse("portal:assessment_review", args=[sent.pk])).content.decode()
    assert "Therapeutic areas: an answer is required" in page
    response = member_client.post(reverse("portal:assessment_submit", args=[sent.pk]))
    assert response.status_code == 400
    assert "required question(s) still need an answer" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == AssessmentStatus.IN_PROGRESS


def test_submitting_shows_the_recommendation(member_client, sent):
    services.save_answers(assessment=sent, answers=neutral_answers())
    response = member_client.post(reverse("portal:assessment_submit", args=[sent.pk]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("portal:recommendation", args=[sent.pk])
    assert "Recommended model:" in page and "<svg" in page
    assert "Per-function delivery plan" in page and "Provider shortlist" in page and "AI readiness" in page
    assert member_client.get(_section_url(sent, 1))["Location"] == reverse(
        "portal:recommendation", args=[sent.pk]
    )


def test_what_if_shows_the_effect_and_stores_nothing(member_client, member):
    assessment = submitted_assessment(sponsor=member.sponsor)
    before = Recommendation.objects.get(assessment=assessment)
    response = member_client.post(
        reverse("portal:what_if", args=[assessment.pk]),
        {"outsourcing_scope": "entire_program", "end_to_end_accountability": "5", "timeline_pressure": "5"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "With those changes" in page and "Full-service CRO" in page
    assert Recommendation.objects.filter(assessment=assessment).get() == before


def test_what_if_plan_changes_name_functions_and_deliveries_in_words(member_client, member):
    assessment = submitted_assessment(sponsor=member.sponsor)
    response = member_client.post(
        reverse("portal:what_if", args=[assessment.pk]),
        {"outsourcing_scope": "entire_program", "end_to_end_accountability": "5", "timeline_pressure": "5"},
    )
    changes = response.context["what_if_plan_changes"]
    assert changes, "the test needs a what-if that moves the plan"
    labels = {"In-house", "FSP team", "Full-service CRO", "Boutique specialist", "not in scope"}
    for change in changes:
        assert change["function"] in set(ClinicalFunction.objects.values_list("name", flat=True))
        assert {change["before"], change["after"]} <= labels
    page = response.content.decode()
    assert f"<li>{changes[0]['function']}: {changes[0]['before']} → {changes[0]['after']}</li>" in page


def test_questions_show_their_help_text(member_client, sent):
    page = member_client.get(_section_url(sent, 1)).content.decode()
    assert "1 = little or none, 5 = experienced leaders across development." in page
    assert 'aria-describedby="help-clinical_leadership"' in page


def test_the_review_pages_steps_name_their_sections(member_client, sent):
    page = member_client.get(reverse("portal:assessment_review", args=[sent.pk])).content.decode()
    for step in ["1. Your organisation", "2. Scope and scale", "5. Technology and data", "Review and submit"]:
        assert f"{step}</a>" in page


def test_what_if_with_no_change_says_so(member_client, member):
    assessment = submitted_assessment(sponsor=member.sponsor)
    response = member_client.post(reverse("portal:what_if", args=[assessment.pk]), {}, follow=True)
    assert "Change at least one answer" in response.content.decode()


def test_requesting_the_report_gives_a_download(member_client, member, django_capture_on_commit_callbacks):
    assessment = submitted_assessment(sponsor=member.sponsor)
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(reverse("portal:report_request", args=[assessment.pk]))
    report = Report.objects.get(assessment=assessment)
    assert report.status == "ready"
    page = member_client.get(reverse("portal:recommendation", args=[assessment.pk])).content.decode()
    download = reverse("portal:report_download", args=[report.pk])
    assert download in page
    assert member_client.get(download)["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(
    "url_name",
    ["assessment", "assessment_section", "assessment_review", "recommendation"],
)
def test_another_sponsors_assessment_is_not_found(member_client, other_sponsor, url_name):
    theirs = submitted_assessment(sponsor=other_sponsor)
    args = [theirs.pk, 1] if url_name == "assessment_section" else [theirs.pk]
    assert member_client.get(reverse(f"portal:{url_name}", args=args)).status_code == 404


@pytest.mark.parametrize("url_name", ["assessment_submit", "what_if", "report_request"])
def test_posting_to_another_sponsors_assessment_is_not_found(member_client, other_sponsor, url_name):
    theirs = submitted_assessment(sponsor=other_sponsor)
    assert member_client.post(reverse(f"portal:{url_name}", args=[theirs.pk])).status_code == 404


def test_a_draft_is_not_found_until_it_is_sent(member_client, member):
    draft = AssessmentFactory(sponsor=member.sponsor)
    assert member_client.get(reverse("portal:assessment", args=[draft.pk])).status_code == 404


def test_engagement_page_shows_progress_and_refuses_other_sponsors(member_client, member, other_sponsor):
    ours = EngagementFactory(sponsor=member.sponsor, name="Our study")
    theirs = EngagementFactory(sponsor=other_sponsor)
    page = member_client.get(reverse("portal:engagement", args=[ours.pk])).content.decode()
    assert "Our study" in page and "Progress" in page
    assert member_client.get(reverse("portal:engagement", args=[theirs.pk])).status_code == 404


def test_section_numbers_out_of_range_are_not_found(member_client, sent):
    assert member_client.get(_section_url(sent, 99)).status_code == 404
