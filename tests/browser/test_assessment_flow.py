"""A sponsor's person answers an assessment in a real browser: sign in, save and resume, the
conditional questions, submit, the recommendation, what-if, the PDF; plus validation, keyboard
use and the portal without JavaScript."""

import io
import re

import pypdf
import pytest
from playwright.sync_api import expect

from assessments import selectors, services
from assessments.models import AssessmentStatus
from tests.assessments.reference import FUNCTIONS
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.portal import (
    FUNCTION_NAMES,
    MATRIX_LABELS,
    answer_section_1,
    answer_section_3,
    answer_section_4,
    choose,
    question,
    save,
    section_path,
    section_url,
    sign_in,
    sign_out,
)
from tests.factories import (
    PASSWORD,
    AssessmentFactory,
    MembershipFactory,
    SponsorFactory,
    submitted_assessment,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# A mixed in-house capability profile: every level is used.
LEVELS = {code: index % 4 for index, code in enumerate(FUNCTIONS)}


@pytest.fixture
def member():
    sponsor = SponsorFactory(name="Helix Bio Therapeutics")
    return MembershipFactory(sponsor=sponsor, user__email="ada@helix.example")


@pytest.fixture
def assessment(member):
    assessment = AssessmentFactory(sponsor=member.sponsor, title="Outsourcing model 2027")
    services.send_assessment(assessment=assessment)
    return assessment


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_member_answers_saves_resumes_submits_and_downloads_the_report(page, shot, member, assessment):
    # Signing in: an anonymous visitor is sent to the sign-in page first.
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/login/\?next=/portal/$"))
    shot(page, "01-login")
    sign_in(page, "ada@helix.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Helix Bio Therapeutics")
    open_list = page.locator("section[aria-labelledby=open-assessments]")
    expect(open_list.get_by_role("link", name="Outsourcing model 2027")).to_be_visible()
    shot(page, "02-dashboard")

    # Section 1, the whole capability matrix included, then "finish later".
    open_list.get_by_role("link", name="Outsourcing model 2027").click()
    expect(page).to_have_url(section_url(1))
    expect(page.get_by_role("heading", name="Your organisation")).to_be_visible()
    answer_section_1(page, LEVELS)
    shot(page, "03-section-1")
    save(page, "Save and finish later")
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_text("Your answers are saved. Come back any time to continue.")).to_be_visible()
    saved = selectors.answers_of(assessment)
    assert saved == {
        "sponsor_profile": "mid_size_pharma",
        "internal_capabilities": LEVELS,
        "clinical_leadership": 4,
        "oversight_capacity": 4,
    }

    # Sign out, sign in again, and resume where they left off.
    sign_out(page)
    sign_in(page, "ada@helix.example")
    expect(page.get_by_text("18% answered")).to_be_visible()  # 4 of 22 questions
    page.set_viewport_size(PHONE)
    shot(page, "phone-dashboard")
    assert _no_horizontal_scroll(page), "the dashboard scrolls sideways on a phone"
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="Outsourcing model 2027").click()
    expect(page).to_have_url(section_url(2))
    expect(page.get_by_text("4 of 22 questions answered · section 2 of 5")).to_be_visible()

    # Section 2: the functions question follows the scope.
    functions = question(page, "functions_to_outsource")
    choose(page, "outsourcing_scope", "Specific functions only")
    expect(functions).to_be_visible()
    expect(functions.locator(".show-if-hint")).to_be_hidden()  # JavaScript shows/hides instead
    choose(page, "outsourcing_scope", "An entire program or study")
    expect(functions).to_be_hidden()
    choose(page, "outsourcing_scope", "Specific functions only")
    expect(functions).to_be_visible()
    choose(page, "functions_to_outsource", "Pharmacovigilance")
    choose(page, "functions_to_outsource", "Medical writing")
    choose(page, "geographic_footprint", "Several regions")
    choose(page, "timeline_pressure", "3")
    choose(page, "portfolio_growth", "Growing")
    choose(page, "resource_variability", "5")
    shot(page, "04-section-2")
    page.set_viewport_size(PHONE)
    shot(page, "phone-section-2")
    assert _no_horizontal_scroll(page), "section 2 scrolls sideways on a phone"
    page.set_viewport_size(DESKTOP)
    save(page, "Save and continue →")

    # Section 3, a step back to check section 2 kept its answers, then on.
    expect(page).to_have_url(section_url(3))
    answer_section_3(page)
    save(page, "← Save and go back")
    expect(page).to_have_url(section_url(2))
    expect(question(page, "outsourcing_scope").get_by_label("Specific functions only")).to_be_checked()
    expect(functions.get_by_label("Pharmacovigilance", exact=True)).to_be_checked()
    expect(functions).to_be_visible()
    save(page, "Save and continue →")
    expect(page).to_have_url(section_url(3))
    expect(question(page, "strategic_control").get_by_label("5", exact=True)).to_be_checked()
    shot(page, "05-section-3")
    save(page, "Save and continue →")

    # Section 4.
    expect(page).to_have_url(section_url(4))
    answer_section_4(page)
    shot(page, "06-section-4")
    save(page, "Save and continue →")

    # Section 5: the AI capabilities question needs an AI maturity of 2 or more.
    expect(page).to_have_url(section_url(5))
    capabilities = question(page, "ai_capabilities_needed")
    choose(page, "ai_maturity_required", "1")
    expect(capabilities).to_be_hidden()
    choose(page, "ai_maturity_required", "4")
    expect(capabilities).to_be_visible()
    choose(page, "ai_capabilities_needed", "AI-assisted data review")
    choose(page, "ai_capabilities_needed", "Risk-based monitoring")
    choose(page, "sponsor_ai_platform", "Yes")
    choose(page, "data_governance_maturity", "4")
    shot(page, "07-section-5")
    save(page, "Save and review →")

    # Review and submit.
    expect(page).to_have_url(re.compile(r"/review/$"))
    expect(page.get_by_text("Everything required is answered.")).to_be_visible()
    scope_review = page.get_by_role("region", name="2. Scope and scale")
    expect(scope_review.get_by_text("Specific functions only")).to_be_visible()
    expect(scope_review.get_by_text("Medical writing, Pharmacovigilance")).to_be_visible()
    shot(page, "08-review")
    page.get_by_role("button", name="Submit and see my recommendation").click()

    # The recommendation, with its chart.
    expect(page).to_have_url(re.compile(r"/recommendation/$"))
    heading = page.locator("#recommendation-model")
    expect(heading).to_contain_text("Recommended model:")
    model_label = heading.inner_text().removeprefix("Recommended model:").strip()
    assert model_label in {"Full-service CRO", "FSP", "Hybrid"}
    expect(page.locator(".recommendation .score-chart svg")).to_be_visible()
    shot(page, "09-recommendation")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert selectors.answers_of(assessment)["functions_to_outsource"] == [
        "medical_writing",
        "pharmacovigilance",
    ]

    # What if…?
    what_if = page.locator("#what-if")
    expect(what_if.get_by_role("heading", name="What if…?")).to_be_visible()
    what_if.get_by_label("Are you outsourcing an entire program or specific functions?").select_option(
        "entire_program"
    )
    what_if.get_by_label("How important is one partner being accountable for delivery?").select_option("5")
    what_if.get_by_role("button", name="Show the effect").click()
    result = page.locator("#what-if-result")
    expect(result.get_by_role("heading", name="With those changes")).to_be_visible()
    expect(result.locator(".score-chart svg")).to_be_visible()
    expect(
        what_if.get_by_label("Are you outsourcing an entire program or specific functions?")
    ).to_have_value("entire_program")
    shot(page, "10-what-if")
    assert len(selectors.answers_of(assessment)) == 22  # nothing stored by the what-if

    # The PDF report.
    page.get_by_role("button", name="Request the PDF report").click()
    expect(page).to_have_url(re.compile(r"/recommendation/#reports$"))
    download_link = page.get_by_role("link", name="Download the PDF")
    expect(download_link).to_be_visible()
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    text = " ".join(page_.extract_text() for page_ in pypdf.PdfReader(io.BytesIO(content)).pages)
    assert f"Recommended model: {model_label}" in " ".join(text.split())
    assert "Helix Bio Therapeutics" in text


def test_an_invalid_answer_is_shown_next_to_its_question_and_nothing_is_saved(page, shot, assessment):
    sign_in(page, "ada@helix.example")
    page.goto(section_path(assessment, 1))
    answer_section_1(page, LEVELS)
    # Tamper with the page as a crafted request would: values the questions do not offer.
    page.evaluate(
        """() => {
          const scale = document.querySelector('input[name="q-oversight_capacity"][value="5"]');
          scale.value = "9";
          scale.checked = true;
          const row = document.querySelector(
            'input[name="q-internal_capabilities--biostatistics"][value="3"]'
          );
          row.value = "9";
          row.checked = true;
        }"""
    )
    save(page, "Save and continue →")

    expect(page).to_have_url(section_url(1))
    expect(page.get_by_role("alert")).to_contain_text("nothing on this page was saved")
    oversight = question(page, "oversight_capacity")
    expect(oversight).to_have_attribute("aria-invalid", "true")
    expect(oversight.locator("#error-oversight_capacity")).to_contain_text("9 is not one of the available")
    matrix = question(page, "internal_capabilities")
    expect(matrix).to_have_attribute("aria-invalid", "true")
    expect(matrix.locator("#error-internal_capabilities")).to_contain_text("9 is not one of the available")
    expect(question(page, "sponsor_profile")).not_to_have_attribute("aria-invalid", "true")
    # What was typed is kept on screen, but not stored.
    expect(question(page, "sponsor_profile").get_by_label("Mid-size pharma")).to_be_checked()
    shot(page, "11-section-1-errors")
    assert selectors.answers_of(assessment) == {}

    # A value the form accepts but the questionnaire's rules refuse (a duplicated choice).
    page.goto(section_path(assessment, 4))
    page.evaluate(
        """() => {
          const inputs = document.querySelectorAll('input[name="q-therapeutic_areas"]');
          inputs[1].value = inputs[0].value;
          inputs[0].checked = inputs[1].checked = true;
        }"""
    )
    choose(page, "therapeutic_complexity", "3")
    save(page, "Save and continue →")
    expect(page).to_have_url(section_url(4))
    areas = question(page, "therapeutic_areas")
    expect(areas).to_have_attribute("aria-invalid", "true")
    expect(areas.locator("#error-therapeutic_areas")).to_contain_text("only once")
    assert selectors.answers_of(assessment) == {}


def _tab_to(page, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_signing_in_and_answering_a_section_with_the_keyboard_only(page, assessment):
    page.goto("/portal/login/")
    _tab_to(page, "#id_username")
    page.keyboard.type("ada@helix.example")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/portal/$"))

    _tab_to(page, f"a[href$='/assessments/{assessment.pk}/']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(section_url(1))

    # A radio group takes one Tab; Space picks the focused option, arrows move the choice.
    _tab_to(page, 'input[name="q-sponsor_profile"]')
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # Emerging biotech → Mid-size pharma
    for code in FUNCTIONS:
        _tab_to(page, f'input[name="q-internal_capabilities--{code}"]', limit=3)
        page.keyboard.press("Space")
        for _ in range(LEVELS[code]):
            page.keyboard.press("ArrowRight")
    for code, value in (("clinical_leadership", 3), ("oversight_capacity", 5)):
        _tab_to(page, f'input[name="q-{code}"]', limit=3)
        page.keyboard.press("Space")
        for _ in range(value - 1):
            page.keyboard.press("ArrowRight")
    expect(question(page, "internal_capabilities").get_by_role("radio", checked=True)).to_have_count(14)
    biostatistics = LEVELS["biostatistics"]
    expect(
        question(page, "internal_capabilities").get_by_role(
            "radio", name=f"Biostatistics {MATRIX_LABELS[biostatistics]}", exact=True
        )
    ).to_be_checked()
    _tab_to(page, "button[value=next]", limit=3)
    assert page.evaluate("document.activeElement.matches(':focus-visible')"), "no visible focus"
    page.keyboard.press("Enter")

    expect(page).to_have_url(section_url(2))
    assert selectors.answers_of(assessment) == {
        "sponsor_profile": "mid_size_pharma",
        "internal_capabilities": LEVELS,
        "clinical_leadership": 3,
        "oversight_capacity": 5,
    }


def test_a_section_can_be_answered_and_saved_without_javascript(new_page, shot, assessment):
    page, _watch = new_page(java_script_enabled=False)
    sign_in(page, "ada@helix.example")
    page.goto(section_path(assessment, 2))
    functions = question(page, "functions_to_outsource")
    expect(functions).to_be_visible()  # nothing hides it without JavaScript...
    hint = functions.locator(".show-if-hint")
    expect(hint).to_be_visible()  # ...and a hint says when it matters
    expect(hint).to_have_text("Only needed depending on your answer to “Scope”.")
    choose(page, "outsourcing_scope", "Several functions")
    choose(page, "functions_to_outsource", "Biostatistics")
    choose(page, "functions_to_outsource", "Statistical programming")
    choose(page, "geographic_footprint", "Globally")
    choose(page, "timeline_pressure", "5")
    choose(page, "portfolio_growth", "Growing rapidly")
    choose(page, "resource_variability", "2")
    shot(page, "12-section-2-without-javascript")
    save(page, "Save and continue →")
    expect(page).to_have_url(section_url(3))
    assert selectors.answers_of(assessment) == {
        "outsourcing_scope": "multiple_functions",
        "functions_to_outsource": ["biostatistics", "statistical_programming"],
        "geographic_footprint": "global",
        "timeline_pressure": 5,
        "portfolio_growth": "rapid",
        "resource_variability": 2,
    }


# --- Regressions: application bugs these tests found (now fixed) ---------------------------------


def test_a_conditional_question_is_hidden_until_its_controlling_answer_makes_it_relevant(page, assessment):
    sign_in(page, "ada@helix.example")
    page.goto(section_path(assessment, 2))
    expect(question(page, "outsourcing_scope").get_by_role("radio", checked=True)).to_have_count(0)
    expect(question(page, "functions_to_outsource")).to_be_hidden(timeout=1_000)
    page.goto(section_path(assessment, 5))
    expect(question(page, "ai_capabilities_needed")).to_be_hidden(timeout=1_000)


def test_the_review_pages_step_links_name_their_sections(page, assessment):
    sign_in(page, "ada@helix.example")
    page.goto(f"/portal/assessments/{assessment.pk}/review/")
    steps = page.get_by_role("navigation", name="Assessment sections").get_by_role("link")
    expect(steps).to_have_text(
        [
            "1. Your organisation",
            "2. Scope and scale",
            "3. How you want to work",
            "4. Therapeutic focus",
            "5. Technology and data",
            "Review and submit",
        ],
        timeout=1_000,
    )


def test_what_if_plan_changes_are_in_words(page, member):
    assessment = submitted_assessment(sponsor=member.sponsor, title="Submitted plan")
    sign_in(page, "ada@helix.example")
    page.goto(f"/portal/assessments/{assessment.pk}/recommendation/")
    page.get_by_label("Are you outsourcing an entire program or specific functions?").select_option(
        "entire_program"
    )
    page.get_by_role("button", name="Show the effect").click()
    result = page.locator("#what-if-result")
    expect(result.get_by_role("heading", name="Delivery plan changes")).to_be_visible()
    changes = result.locator("h4:has-text('Delivery plan changes') + ul > li").all_inner_texts()
    assert changes
    names = set(FUNCTION_NAMES.values())
    deliveries = {"In-house", "FSP team", "Full-service CRO", "Boutique specialist", "not in scope"}
    for change in changes:
        function, _, move = change.partition(": ")
        before, _, after = move.partition(" → ")
        assert function in names and before in deliveries and after in deliveries, change


def test_tipping_points_sit_beside_the_what_if_and_one_can_be_tried(page, shot, member):
    assessment = submitted_assessment(sponsor=member.sponsor, title="A close call")
    recommendation = assessment.recommendations.get()
    first = recommendation.tipping_points[0]
    sign_in(page, "ada@helix.example")
    page.goto(f"/portal/assessments/{assessment.pk}/recommendation/")
    tipping = page.locator("#what-if #tipping-points")
    expect(tipping.get_by_role("heading", name="What would change the recommendation")).to_be_visible()
    expect(tipping.locator("ol.tipping > li")).to_have_count(3)
    expect(tipping.locator("ol.tipping > li").first).to_contain_text(first["sentence"])
    shot(page, "15-tipping-points")
    page.set_viewport_size(PHONE)
    assert _no_horizontal_scroll(page), "the tipping points scroll sideways on a phone"
    page.set_viewport_size(DESKTOP)
    tipping.get_by_role("button", name="Try this change").first.click()
    result = page.locator("#what-if-result")
    expect(result).to_contain_text("The recommendation would change from")
    expect(result.locator("strong").nth(1)).to_have_text(first["label"])
    shot(page, "16-tipping-point-tried")
    assert assessment.recommendations.count() == 1  # trying it stores nothing


def test_v2_asks_where_the_program_runs_unless_it_is_global_and_checks_the_regions(page, shot, member):
    from tests.factories import reference_questionnaire

    assessment = AssessmentFactory(sponsor=member.sponsor, questionnaire=reference_questionnaire(version=2))
    services.send_assessment(assessment=assessment)
    sign_in(page, "ada@helix.example")
    page.goto(section_path(assessment, 2))
    regions = question(page, "program_regions")
    expect(question(page, "functions_to_outsource")).to_be_visible()  # asked for every scope in v2
    choose(page, "geographic_footprint", "Globally")
    expect(regions).to_be_hidden()
    choose(page, "geographic_footprint", "One region")
    expect(regions).to_be_visible()
    choose(page, "program_regions", "Europe")
    choose(page, "program_regions", "Asia-Pacific")
    choose(page, "outsourcing_scope", "An entire program or study")
    choose(page, "functions_to_outsource", "Clinical operations")
    choose(page, "timeline_pressure", "3")
    choose(page, "portfolio_growth", "Growing")
    choose(page, "resource_variability", "3")
    save(page, "Save and continue →")
    expect(page).to_have_url(section_url(2))
    expect(regions.locator("#error-program_regions")).to_contain_text("choose exactly one region")
    shot(page, "17-program-regions-error")
    assert selectors.answers_of(assessment) == {}
    question(page, "program_regions").get_by_label("Asia-Pacific", exact=True).uncheck()
    save(page, "Save and continue →")
    expect(page).to_have_url(section_url(3))
    saved = selectors.answers_of(assessment)
    assert (saved["geographic_footprint"], saved["program_regions"]) == ("single_region", ["europe"])


def test_a_scale_question_explains_what_its_ends_mean(page, assessment):
    sign_in(page, "ada@helix.example")
    page.goto(section_path(assessment, 1))
    expect(question(page, "clinical_leadership")).to_contain_text(
        "1 = little or none, 5 = experienced leaders across development.", timeout=1_000
    )
