"""Bad input answers in the one error shape, with the right status, and changes nothing.

The test client re-raises server exceptions, so a 500 anywhere here fails the test loudly.
"""

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from engagements.models import Sponsor, Stage
from tests import factories
from tests.api import builders
from tests.api.conftest import API, assert_error, db_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sponsor_a, account_manager):
    """One of everything, so writes have real things to point at."""
    engagement = builders.engagement(sponsor_a)
    provider = factories.ProviderFactory()
    return {
        "sponsor": sponsor_a,
        "owner": account_manager,
        "engagement": engagement,
        "contact": builders.contact(sponsor_a),
        "activity": factories.ActivityFactory(engagement=engagement),
        "follow_up": factories.FollowUpFactory(engagement=engagement),
        "provider": provider,
        "capability": factories.CapabilityFactory(provider=provider),
        "draft": builders.draft_assessment(sponsor_a),
        "submitted": builders.submitted_assessment(sponsor_a),
        "endpoint": builders.webhook_endpoint(sponsor_a),
    }


def create_bodies(w) -> dict[str, dict]:
    """A valid body for every create endpoint, naming every writable field."""
    soon = (timezone.now() + timedelta(days=2)).isoformat()
    return {
        "/sponsors/": {
            "name": "Omega Bio",
            "profile": "emerging_biotech",
            "status": "client",
            "owner": w["owner"].email,
            "headquarters": "Leiden",
            "website": "https://omega.example",
            "therapeutic_areas": ["oncology"],
            "regions": ["europe"],
            "internal_capabilities": {"biostatistics": 1},
            "notes": "New lead.",
        },
        "/contacts/": {
            "sponsor": str(w["sponsor"].pk),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@omega.example",
            "phone": "+31 20 000",
            "job_title": "CMO",
            "is_primary": False,
            "receives_reminders": True,
        },
        "/engagements/": {
            "sponsor": str(w["sponsor"].pk),
            "name": "Phase I",
            "description": "First in human.",
            "stage": "lead",
            "outsourcing_model": "fsp",
            "phase": "phase_1",
            "therapeutic_area": "oncology",
            "regions": ["europe"],
            "functions": ["biostatistics"],
            "providers": [{"provider": str(w["provider"].pk), "role": "lead", "functions": []}],
            "value": "1000.00",
            "currency": "EUR",
            "probability": 20,
            "expected_close_date": "2030-01-01",
            "start_date": "2030-02-01",
            "end_date": "2031-02-01",
            "owner": w["owner"].email,
        },
        "/activities/": {
            "engagement": str(w["engagement"].pk),
            "kind": "call",
            "subject": "Call",
            "body": "Talked.",
            "occurred_at": timezone.now().isoformat(),
        },
        "/follow-ups/": {
            "sponsor": str(w["sponsor"].pk),
            "engagement": str(w["engagement"].pk),
            "title": "Call back",
            "notes": "",
            "due_at": soon,
            "assignee": w["owner"].email,
            "status": "open",
        },
        "/assessments/": {
            "sponsor": str(w["sponsor"].pk),
            "engagement": str(w["engagement"].pk),
            "questionnaire": str(factories.reference_questionnaire().pk),
            "title": "Q1 assessment",
            "due_date": "2030-01-01",
        },
        "/providers/": {
            "name": "Omega CRO",
            "kind": "boutique_cro",
            "description": "",
            "headquarters": "",
            "website": "https://cro.example",
            "regions": ["europe"],
            "ai_capabilities": ["ai_data_review"],
            "senior_access": 5,
            "data_governance_maturity": 4,
            "certifications": ["ISO 9001"],
            "engagement_models": ["hybrid"],
            "is_active": True,
        },
        "/capabilities/": {
            "provider": str(w["provider"].pk),
            "function": "medical_writing",
            "depth": 3,
            "capacity_fte": 5,
            "notes": "",
        },
        "/therapeutic-expertise/": {
            "provider": str(w["provider"].pk),
            "therapeutic_area": "oncology",
            "depth": 3,
        },
        "/webhook-endpoints/": {
            "url": "https://hooks.example.org/x",
            "description": "",
            "events": ["report.ready"],
            "sponsor": str(w["sponsor"].pk),
            "is_active": False,
        },
        f"/engagements/{w['engagement'].pk}/transition/": {"stage": "qualification", "note": ""},
        f"/assessments/{w['draft'].pk}/answers/": {"answers": {"clinical_leadership": 3}},
        f"/assessments/{w['draft'].pk}/send/": {"due_date": "2030-01-01"},
        f"/assessments/{w['submitted'].pk}/what-if/": {"changes": {"timeline_pressure": 5}},
    }


ENDPOINTS = [
    "/sponsors/",
    "/contacts/",
    "/engagements/",
    "/activities/",
    "/follow-ups/",
    "/assessments/",
    "/providers/",
    "/capabilities/",
    "/therapeutic-expertise/",
    "/webhook-endpoints/",
    "transition",
    "answers",
    "send",
    "what-if",
]


def body_for(w, endpoint) -> tuple[str, dict]:
    bodies = create_bodies(w)
    path = next(p for p in bodies if p == endpoint or p.endswith(f"/{endpoint}/"))
    return path, bodies[path]


# --- Malformed JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("raw", ['{"name": ', "{'name': 'x'}", "[1, 2", "NaN", '{"a": 1}}'])
def test_malformed_json_is_a_400_parse_error(endpoint, raw, staff_key, world):
    path, _ = body_for(world, endpoint)
    before = db_state()
    response = staff_key.generic("POST", API + path, raw, content_type="application/json")
    error = assert_error(response, 400, "parse_error")
    assert error["message"].startswith("Malformed JSON")
    assert db_state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("payload", [[1, 2], "text", 42, None], ids=["list", "string", "number", "null"])
def test_json_that_is_not_an_object_is_a_400(endpoint, payload, staff_key, world):
    path, _ = body_for(world, endpoint)
    before = db_state()
    response = staff_key.generic("POST", API + path, json.dumps(payload), content_type="application/json")
    assert_error(response, 400)
    assert db_state() == before


def test_form_encoded_body_is_a_415(staff_key, world):
    before = db_state()
    response = staff_key.post(f"{API}/contacts/", {"first_name": "A"})
    assert_error(response, 415, "unsupported_media_type")
    assert db_state() == before


# --- Wrong types ---------------------------------------------------------------------------------

WRONG_TYPES = [
    ("/engagements/", "value", "a lot"),
    ("/engagements/", "probability", "likely"),
    ("/engagements/", "probability", 101),
    ("/engagements/", "expected_close_date", "next spring"),
    ("/engagements/", "regions", "europe"),
    ("/engagements/", "providers", [{"provider": "not-a-uuid"}]),
    ("/contacts/", "is_primary", "perhaps"),
    ("/contacts/", "email", "not-an-email"),
    ("/contacts/", "sponsor", "not-a-uuid"),
    ("/contacts/", "sponsor", 17),
    ("/follow-ups/", "due_at", "tomorrow"),
    ("/sponsors/", "internal_capabilities", [1, 2]),
    ("/sponsors/", "internal_capabilities", {"biostatistics": "strong"}),
    ("/sponsors/", "website", "not a url"),
    ("/providers/", "senior_access", "high"),
    ("/providers/", "certifications", "ISO 9001"),
    ("/capabilities/", "capacity_fte", "many"),
    ("/capabilities/", "depth", 2.5),
    ("/capabilities/", "provider", "not-a-uuid"),
    ("/webhook-endpoints/", "events", "report.ready"),
    ("/webhook-endpoints/", "url", "ftp//nowhere"),
    ("answers", "answers", ["clinical_leadership", 3]),
    ("what-if", "changes", "timeline_pressure=5"),
    ("send", "due_date", "someday"),
    ("transition", "note", "x" * 300),
]


@pytest.mark.parametrize(
    ("endpoint", "field", "value"),
    WRONG_TYPES,
    ids=[f"{e.strip('/')}.{f}={str(v)[:12]}" for e, f, v in WRONG_TYPES],
)
def test_wrong_type_is_a_400_naming_the_field(endpoint, field, value, staff_key, world):
    path, body = body_for(world, endpoint)
    before = db_state()
    response = staff_key.post(API + path, {**body, field: value}, format="json")
    error = assert_error(response, 400, "invalid")
    assert any(re.split(r"[.\[]", key)[0] == field for key in error["fields"]), error
    assert all(isinstance(m, str) for messages in error["fields"].values() for m in messages)
    assert db_state() == before


def test_wrong_type_in_a_patch_is_a_400_and_changes_nothing(staff_key, world):
    before = db_state()
    response = staff_key.patch(
        f"{API}/engagements/{world['engagement'].pk}/", {"value": "lots", "name": "Renamed"}, format="json"
    )
    assert set(assert_error(response, 400)["fields"]) == {"value"}
    assert db_state() == before


# --- Unknown catalog codes -----------------------------------------------------------------------

UNKNOWN_CODES = [
    ("/sponsors/", "therapeutic_areas", ["alchemy"]),
    ("/sponsors/", "regions", ["atlantis"]),
    ("/sponsors/", "internal_capabilities", {"alchemy": 2}),
    ("/engagements/", "therapeutic_area", "alchemy"),
    ("/engagements/", "functions", ["alchemy"]),
    ("/engagements/", "regions", ["atlantis"]),
    ("/providers/", "regions", ["atlantis"]),
    ("/providers/", "ai_capabilities", ["telepathy"]),
    ("/capabilities/", "function", "alchemy"),
    ("/therapeutic-expertise/", "therapeutic_area", "alchemy"),
]


@pytest.mark.parametrize(
    ("endpoint", "field", "value"), UNKNOWN_CODES, ids=[f"{e.strip('/')}.{f}" for e, f, _ in UNKNOWN_CODES]
)
def test_unknown_catalog_code_is_a_400(endpoint, field, value, staff_key, world):
    path, body = body_for(world, endpoint)
    before = db_state()
    response = staff_key.post(API + path, {**body, field: value}, format="json")
    error = assert_error(response, 400, "invalid")
    assert any(re.split(r"[.\[]", key)[0] == field for key in error["fields"]), error
    assert db_state() == before


def test_unknown_catalog_code_in_a_patch_changes_nothing(staff_key, world):
    engagement = world["engagement"]
    engagement.functions.set(["biostatistics"])
    before = db_state()
    response = staff_key.patch(
        f"{API}/engagements/{engagement.pk}/", {"functions": ["medical_writing", "alchemy"]}, format="json"
    )
    assert "functions" in assert_error(response, 400)["fields"]
    assert list(engagement.functions.values_list("code", flat=True)) == ["biostatistics"]
    assert db_state() == before


# --- Oversized bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["/contacts/", "/engagements/", "answers", "what-if"])
def test_body_over_the_limit_is_a_413(endpoint, staff_key, world):
    path, body = body_for(world, endpoint)
    padding = "x" * (settings.API_MAX_BODY_BYTES + 1)
    before = db_state()
    response = staff_key.post(API + path, {**body, "padding": padding}, format="json")
    assert_error(response, 413, "payload_too_large")
    assert db_state() == before


def test_body_exactly_at_the_limit_is_parsed(staff_key, world, settings):
    settings.API_MAX_BODY_BYTES = 2048
    path, body = body_for(world, "/contacts/")
    empty = json.dumps({**body, "padding": ""})
    raw = json.dumps({**body, "padding": "y" * (2048 - len(empty))})
    assert len(raw.encode()) == 2048
    response = staff_key.generic("POST", API + path, raw, content_type="application/json")
    assert response.status_code == 201


def test_limit_applies_to_the_configured_size(staff_key, world, settings):
    settings.API_MAX_BODY_BYTES = 1024
    before = db_state()
    response = staff_key.patch(
        f"{API}/engagements/{world['engagement'].pk}/", {"description": "d" * 1100}, format="json"
    )
    assert "1024" in assert_error(response, 413, "payload_too_large")["message"]
    assert db_state() == before


# --- Bad ids and routes --------------------------------------------------------------------------

DETAIL_ROUTES = [
    ("get", "/sponsors/{id}/"),
    ("patch", "/sponsors/{id}/"),
    ("delete", "/sponsors/{id}/"),
    ("get", "/contacts/{id}/"),
    ("delete", "/contacts/{id}/"),
    ("get", "/engagements/{id}/"),
    ("patch", "/engagements/{id}/"),
    ("post", "/engagements/{id}/transition/"),
    ("get", "/engagements/{id}/stage-history/"),
    ("get", "/activities/{id}/"),
    ("get", "/follow-ups/{id}/"),
    ("get", "/assessments/{id}/"),
    ("post", "/assessments/{id}/answers/"),
    ("post", "/assessments/{id}/submit/"),
    ("post", "/assessments/{id}/what-if/"),
    ("get", "/assessments/{id}/recommendations/"),
    ("get", "/recommendations/{id}/"),
    ("get", "/providers/{id}/"),
    ("delete", "/capabilities/{id}/"),
    ("get", "/therapeutic-expertise/{id}/"),
    ("get", "/questionnaires/{id}/"),
    ("get", "/webhook-endpoints/{id}/"),
    ("get", "/webhook-deliveries/{id}/"),
]


@pytest.mark.parametrize(("method", "route"), DETAIL_ROUTES, ids=[f"{m} {r}" for m, r in DETAIL_ROUTES])
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "12345", "0" * 33, "5b0f6a86-2f5e-4c1e-9f0a-2d3c4b5a6978"])
def test_malformed_or_unknown_id_in_the_url_is_a_404(method, route, bad_id, staff_key, world):
    before = db_state()
    response = getattr(staff_key, method)(API + route.format(id=bad_id), {"stage": "lead"}, format="json")
    assert_error(response, 404, "not_found")
    assert db_state() == before


def test_unknown_route_under_the_api_answers_in_the_error_shape(staff_key):
    assert_error(staff_key.get(f"{API}/nothing-here/"), 404, "not_found")


def test_unsupported_method_is_a_405(staff_key, world):
    before = db_state()
    response = staff_key.put(f"{API}/engagements/{world['engagement'].pk}/", {"name": "x"}, format="json")
    assert_error(response, 405, "method_not_allowed")
    assert db_state() == before


# --- Conflicts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    [("lead", "won"), ("lead", "lead"), ("completed", "active"), ("lead", "bogus")],
)
def test_invalid_transition_is_a_409_and_changes_nothing(from_stage, to_stage, staff_key, sponsor_a):
    engagement = factories.EngagementFactory(sponsor=sponsor_a, stage=Stage(from_stage))
    before = db_state()
    response = staff_key.post(
        f"{API}/engagements/{engagement.pk}/transition/", {"stage": to_stage}, format="json"
    )
    error = assert_error(response, 409, "conflict")
    assert error["fields"]["stage"] == [error["message"]]
    assert db_state() == before


def test_sponsor_with_assessments_cannot_be_deleted(staff_key, world):
    before = db_state()
    assert_error(staff_key.delete(f"{API}/sponsors/{world['sponsor'].pk}/"), 409, "conflict")
    assert db_state() == before


# --- Query strings -------------------------------------------------------------------------------

BAD_QUERIES = [
    "/engagements/?stage=bogus",
    "/engagements/?value_min=lots",
    "/engagements/?created_after=yesterday",
    "/engagements/?sponsor=not-a-uuid",
    "/engagements/?expected_close_before=2026-13-45",
    "/follow-ups/?due_before=soon",
    "/follow-ups/?status=finished",
    "/activities/?engagement=123",
    "/providers/?kind=megacorp",
    "/providers/?min_depth=deep",
    "/assessments/?status=lost",
    "/capabilities/?depth=abc",
    "/webhook-deliveries/?endpoint=xyz",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_invalid_filter_value_is_a_400(query, staff_key, world):
    assert_error(staff_key.get(API + query), 400, "invalid")


@pytest.mark.parametrize(
    "path", ["/engagements/", "/contacts/", "/providers/", "/capabilities/", "/recommendations/"]
)
def test_invalid_cursor_is_a_404(path, staff_key, world):
    assert_error(staff_key.get(f"{API}{path}?cursor=not-a-cursor"), 404, "not_found")


QUERY_EDGE_CASES = [
    "?page_size=0",
    "?page_size=-5",
    "?page_size=abc",
    f"?page_size={10**30}",
    "?ordering=password",
    "?ordering=-",
    "?ordering=,,,",
    "?search=%25%5F%27%22",
    "?search=" + "x" * 2000,
]


@pytest.mark.parametrize("query", QUERY_EDGE_CASES)
@pytest.mark.parametrize("path", ["/engagements/", "/sponsors/", "/providers/", "/catalogs/functions/"])
def test_odd_paging_ordering_and_search_parameters_do_not_fail(query, path, staff_key, world):
    response = staff_key.get(API + path + query)
    assert response.status_code == 200


def test_page_size_of_zero_or_garbage_falls_back_to_the_default(staff_key, sponsor_a):
    factories.ContactFactory.create_batch(30, sponsor=sponsor_a)
    for value in ("0", "-5", "abc"):
        assert len(staff_key.get(f"{API}/contacts/?page_size={value}").json()["results"]) == 25


# --- Nothing is ever a 500 -----------------------------------------------------------------------

ODD_VALUES = [
    None,
    "",
    "x" * 5000,
    10**30,
    -1,
    1.5,
    True,
    [],
    {},
    ["x"],
    {"a": 1},
    "2026-13-45",
    "9999-12-31T23:59:59-12:00",
    "nul\x00byte",
    "🧪",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("value", ODD_VALUES, ids=[repr(v)[:16] for v in ODD_VALUES])
def test_any_odd_value_in_any_field_is_answered_without_a_server_error(endpoint, value, staff_key, world):
    """Each field in turn gets the odd value; the rest of the body stays valid."""
    path, body = body_for(world, endpoint)
    for field in body:
        response = staff_key.post(API + path, {**body, field: value}, format="json")
        assert response.status_code < 500, (field, response.content[:300])
        if response.status_code >= 400:
            assert_error(response, response.status_code)


@pytest.mark.parametrize("value", ODD_VALUES, ids=[repr(v)[:16] for v in ODD_VALUES])
def test_any_odd_answer_value_is_refused_by_question_code(value, staff_key, world):
    assessment = world["draft"]
    for code in ("sponsor_profile", "internal_capabilities", "clinical_leadership", "sponsor_ai_platform"):
        response = staff_key.post(
            f"{API}/assessments/{assessment.pk}/answers/", {"answers": {code: value}}, format="json"
        )
        if value is None:
            assert response.status_code == 200
            continue
        if response.status_code == 200:  # a value that happens to be valid for this question
            continue
        if isinstance(value, str) and "\x00" in value:  # refused for the whole body, before any field
            assert "NUL" in assert_error(response, 400)["message"]
            continue
        assert set(assert_error(response, 400)["fields"]) == {code}


def patch_targets(w) -> dict[str, str]:
    """The create endpoint whose body names the fields, and an object of that kind to PATCH."""
    return {
        "/sponsors/": f"/sponsors/{w['sponsor'].pk}/",
        "/contacts/": f"/contacts/{w['contact'].pk}/",
        "/engagements/": f"/engagements/{w['engagement'].pk}/",
        "/activities/": f"/activities/{w['activity'].pk}/",
        "/follow-ups/": f"/follow-ups/{w['follow_up'].pk}/",
        "/assessments/": f"/assessments/{w['draft'].pk}/",
        "/providers/": f"/providers/{w['provider'].pk}/",
        "/capabilities/": f"/capabilities/{w['capability'].pk}/",
        "/webhook-endpoints/": f"/webhook-endpoints/{w['endpoint'].pk}/",
    }


PATCHED = [
    "/sponsors/",
    "/contacts/",
    "/engagements/",
    "/activities/",
    "/follow-ups/",
    "/assessments/",
    "/providers/",
    "/capabilities/",
    "/webhook-endpoints/",
]


@pytest.mark.parametrize("endpoint", PATCHED)
@pytest.mark.parametrize("value", ODD_VALUES, ids=[repr(v)[:16] for v in ODD_VALUES])
def test_any_odd_value_in_a_patch_is_answered_without_a_server_error(endpoint, value, staff_key, world):
    _, body = body_for(world, endpoint)
    url = API + patch_targets(world)[endpoint]
    for field in body:
        response = staff_key.patch(url, {field: value}, format="json")
        assert response.status_code < 500, (field, response.content[:300])
        if response.status_code >= 400:
            assert_error(response, response.status_code)


# --- NUL characters: PostgreSQL cannot hold them, so every surface refuses them up front ---------


def test_a_nul_character_anywhere_in_a_json_body_is_refused_and_nothing_is_created(staff_key, world):
    before = Sponsor.objects.count()
    response = staff_key.post(f"{API}/sponsors/", {"name": "Acme", "notes": {"k\x00": "v"}}, format="json")
    assert "NUL" in assert_error(response, 400)["message"]
    assert Sponsor.objects.count() == before


@pytest.mark.parametrize("query", ["?search=a%00b", "?name=%00", "?ordering=%00", "?%00=1"])
def test_a_nul_character_in_the_query_string_is_a_clear_400(query, staff_key, world):
    response = staff_key.get(f"{API}/sponsors/{query}")
    assert "NUL" in assert_error(response, 400)["message"]


def test_a_nul_character_in_a_form_post_is_refused_outside_the_api(client):
    response = client.post("/portal/login/", {"username": "a\x00@example.com", "password": "x"})
    assert response.status_code == 400
    assert b"NUL" in response.content
