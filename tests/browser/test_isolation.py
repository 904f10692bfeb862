"""A member of one sponsor never sees another sponsor's work, whatever URL they type."""

import pytest
from playwright.sync_api import expect

from assessments import reports, services
from assessments.models import AssessmentStatus, Report
from assessments.selectors import answers_of
from tests.browser.portal import section_path, sign_in
from tests.factories import AssessmentFactory, MembershipFactory, SponsorFactory, submitted_assessment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def helix():
    """The first sponsor: an open assessment, a submitted one with its recommendation and a PDF."""
    sponsor = SponsorFactory(name="Helix Bio Therapeutics")
    MembershipFactory(sponsor=sponsor, user__email="ada@helix.example")
    open_one = AssessmentFactory(sponsor=sponsor, title="Helix open questionnaire")
    services.send_assessment(assessment=open_one)
    services.save_answers(assessment=open_one, answers={"sponsor_profile": "emerging_biotech"})
    done = submitted_assessment(sponsor=sponsor, title="Helix phase III plan")
    report = reports.request_report(assessment=done)
    report.refresh_from_db()
    assert report.status == "ready"
    return {"sponsor": sponsor, "open": open_one, "done": done, "report": report}


@pytest.fixture
def rival():
    sponsor = SponsorFactory(name="Rival Therapeutics")
    MembershipFactory(sponsor=sponsor, user__email="bob@rival.example")
    own = AssessmentFactory(sponsor=sponsor, title="Rival sourcing review")
    services.send_assessment(assessment=own)
    return sponsor


def _urls(helix) -> dict[str, str]:
    open_id, done_id = helix["open"].pk, helix["done"].pk
    return {
        "assessment": f"/portal/assessments/{open_id}/",
        "section": section_path(helix["open"], 1),
        "review": f"/portal/assessments/{open_id}/review/",
        "recommendation": f"/portal/assessments/{done_id}/recommendation/",
        "report download": f"/portal/reports/{helix['report'].pk}/download/",
    }


def test_another_sponsors_assessment_recommendation_and_report_are_not_found(new_page, shot, helix, rival):
    # The URLs are real: Helix's own member gets them.
    owner_page, _ = new_page()
    sign_in(owner_page, "ada@helix.example")
    response = owner_page.goto(_urls(helix)["recommendation"])
    assert response.status == 200
    expect(owner_page.get_by_text("Helix phase III plan")).to_be_visible()
    download = owner_page.request.get(_urls(helix)["report download"])
    assert download.status == 200 and download.headers["content-type"] == "application/pdf"

    page, watch = new_page()
    watch.tolerate_console(r"status of 404 \(Not Found\)")  # the 404s this test provokes
    sign_in(page, "bob@rival.example")

    # Their dashboard: their own work only.
    expect(page.get_by_role("heading", level=1)).to_have_text("Rival Therapeutics")
    expect(page.get_by_role("link", name="Rival sourcing review")).to_be_visible()
    dashboard = page.content()
    for secret in ("Helix", "Helix open questionnaire", "Helix phase III plan", "ada@helix.example"):
        assert secret not in dashboard
    shot(page, "13-other-sponsor-dashboard")

    # Typing the first sponsor's URLs.
    for name, url in _urls(helix).items():
        response = page.goto(url)
        assert response.status == 404, f"{name}: {url} answered {response.status}"
        expect(page.get_by_role("heading", name="Not Found")).to_be_visible()
        assert "Helix" not in page.content(), name
    shot(page, "14-other-sponsor-not-found")

    # Posting to them (with a valid CSRF token of their own session) changes nothing either.
    page.goto("/portal/")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    open_id, done_id = helix["open"].pk, helix["done"].pk
    posts = {
        "section": (section_path(helix["open"], 1), {"q-sponsor_profile": "large_pharma", "action": "next"}),
        "submit": (f"/portal/assessments/{open_id}/submit/", {}),
        "what-if": (f"/portal/assessments/{done_id}/what-if/", {"timeline_pressure": "5"}),
        "report": (f"/portal/assessments/{done_id}/report/", {}),
    }
    for name, (url, form) in posts.items():
        response = page.request.post(url, form={"csrfmiddlewaretoken": token, **form})
        assert response.status == 404, f"POST {name}: {url} answered {response.status}"
        assert "Helix" not in response.text()
    helix["open"].refresh_from_db()
    assert helix["open"].status == AssessmentStatus.IN_PROGRESS
    assert answers_of(helix["open"]) == {"sponsor_profile": "emerging_biotech"}
    assert Report.objects.filter(assessment__sponsor=helix["sponsor"]).count() == 1
