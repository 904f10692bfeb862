"""What a sponsor's person does in the portal, written as browser steps (Playwright sync API)."""

import importlib
import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

_catalogs = importlib.import_module("providers.migrations.0002_reference_catalogs")
FUNCTION_NAMES = {code: name for code, name, _specialised, _description in _catalogs.FUNCTIONS}
MATRIX_LABELS = ["None", "Limited", "Established", "Strong"]


def section_path(assessment, number: int) -> str:
    return f"/portal/assessments/{assessment.pk}/section/{number}/"


def section_url(number: int) -> re.Pattern:
    return re.compile(rf"/portal/assessments/[0-9a-f-]+/section/{number}/$")


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/portal/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/portal/login/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def question(page: Page, code: str):
    return page.locator(f"#question-{code}")


def choose(page: Page, code: str, label: str) -> None:
    """Tick the radio button or checkbox labelled `label` in question `code`."""
    question(page, code).get_by_label(label, exact=True).check()


def rate_functions(page: Page, levels: dict[str, int]) -> None:
    """Fill the in-house capability matrix through each radio's accessible name."""
    matrix = question(page, "internal_capabilities")
    for code, level in levels.items():
        matrix.get_by_role("radio", name=f"{FUNCTION_NAMES[code]} {MATRIX_LABELS[level]}", exact=True).check()


def save(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()


def answer_section_1(page: Page, levels: dict[str, int]) -> None:
    choose(page, "sponsor_profile", "Mid-size pharma")
    rate_functions(page, levels)
    choose(page, "clinical_leadership", "4")
    choose(page, "oversight_capacity", "4")


def answer_section_3(page: Page) -> None:
    choose(page, "strategic_control", "5")
    choose(page, "flexibility_importance", "4")
    choose(page, "end_to_end_accountability", "2")
    choose(page, "partnership_level", "Collaborative")
    choose(page, "senior_support", "3")
    choose(page, "budget_flexibility", "3")


def answer_section_4(page: Page) -> None:
    choose(page, "therapeutic_areas", "Oncology")
    choose(page, "therapeutic_areas", "Rare diseases")
    choose(page, "therapeutic_complexity", "4")
