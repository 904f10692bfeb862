"""Who may do what, on every resource, method and detail action of /api/v1/.

Rows of the table are operations; each test is one column: staff, the object's own sponsor (key
or portal member), another sponsor (key or portal member), nobody. Another sponsor's object is a
404 on every method; a permitted-scope object with a non-permitted action is a 403; no
credentials is a 401. Every refusal leaves the database exactly as it was.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import ApiKey
from engagements.models import Contact, MembershipRole
from providers.models import AICapability, ClinicalFunction, Region, TherapeuticArea
from tests import factories
from tests.api import builders
from tests.api.conftest import API, assert_error, db_state, ids, session_client

pytestmark = pytest.mark.django_db

OWN = "own"  # the sponsor's own status is the staff status (the action is a sponsor action)


@dataclass(frozen=True)
class Op:
    """One API operation: method, path (with {pk}), how to make its target and its body."""

    label: str
    method: str
    path: str
    make: Callable | None = None
    body: Callable | None = None
    staff: int = 200
    sponsor: int | str = 403  # what the object's own sponsor gets: OWN, 403 or 404

    def __str__(self) -> str:
        return self.label

    @property
    def own_status(self) -> int:
        return self.staff if self.sponsor == OWN else self.sponsor

    def url(self, target) -> str:
        return API + self.path.format(pk=getattr(target, "pk", None))

    def prepare(self, sponsor):
        """Make the target (and anything the body refers to); returns (target, payload)."""
        target = self.make(sponsor) if self.make else None
        return target, (self.body(sponsor, target) if self.body else None)

    def send(self, client, target, payload):
        return getattr(client, self.method)(self.url(target), payload, format="json")


def later() -> str:
    return (timezone.now() + timedelta(days=3)).isoformat()


def const(payload: dict) -> Callable:
    return lambda sponsor, target: payload


# --- Operations on objects that belong to a sponsor (sponsor A in every test) -------------------

SCOPED_DETAIL = [
    Op("sponsors-retrieve", "get", "/sponsors/{pk}/", lambda s: s, sponsor=OWN),
    Op("sponsors-update", "patch", "/sponsors/{pk}/", lambda s: s, const({"headquarters": "Basel, CH"})),
    Op("sponsors-destroy", "delete", "/sponsors/{pk}/", lambda s: s, staff=204),
    Op("contacts-retrieve", "get", "/contacts/{pk}/", builders.contact, sponsor=OWN),
    Op(
        "contacts-update",
        "patch",
        "/contacts/{pk}/",
        builders.contact,
        const({"job_title": "Chief Medical Officer"}),
        sponsor=OWN,
    ),
    Op("contacts-destroy", "delete", "/contacts/{pk}/", builders.contact, staff=204, sponsor=OWN),
    Op("engagements-retrieve", "get", "/engagements/{pk}/", builders.engagement, sponsor=OWN),
    Op("engagements-update", "patch", "/engagements/{pk}/", builders.engagement, const({"name": "Renamed"})),
    Op("engagements-destroy", "delete", "/engagements/{pk}/", builders.engagement, staff=204),
    Op(
        "engagements-transition",
        "post",
        "/engagements/{pk}/transition/",
        builders.engagement,
        const({"stage": "qualification"}),
    ),
    Op(
        "engagements-stage-history",
        "get",
        "/engagements/{pk}/stage-history/",
        builders.engagement,
        sponsor=OWN,
    ),
    Op("activities-retrieve", "get", "/activities/{pk}/", builders.activity),
    Op("activities-update", "patch", "/activities/{pk}/", builders.activity, const({"subject": "Renamed"})),
    Op("activities-destroy", "delete", "/activities/{pk}/", builders.activity, staff=204),
    Op("follow-ups-retrieve", "get", "/follow-ups/{pk}/", builders.follow_up, sponsor=OWN),
    Op("follow-ups-update", "patch", "/follow-ups/{pk}/", builders.follow_up, const({"title": "Renamed"})),
    Op("follow-ups-destroy", "delete", "/follow-ups/{pk}/", builders.follow_up, staff=204),
    Op("assessments-retrieve", "get", "/assessments/{pk}/", builders.sent_assessment, sponsor=OWN),
    # A draft is the account manager's preparation: invisible to the sponsor until sent.
    Op("assessments-retrieve-draft", "get", "/assessments/{pk}/", builders.draft_assessment, sponsor=404),
    Op(
        "assessments-update",
        "patch",
        "/assessments/{pk}/",
        builders.sent_assessment,
        const({"title": "Renamed"}),
    ),
    Op(
        "assessments-destroy",
        "delete",
        "/assessments/{pk}/",
        builders.draft_assessment,
        staff=204,
        sponsor=404,
    ),
    Op(
        "assessments-answers-read",
        "get",
        "/assessments/{pk}/answers/",
        builders.answered_assessment,
        sponsor=OWN,
    ),
    Op(
        "assessments-answers-save",
        "post",
        "/assessments/{pk}/answers/",
        builders.sent_assessment,
        const({"answers": {"clinical_leadership": 4}}),
        sponsor=OWN,
    ),
    Op(
        "assessments-submit",
        "post",
        "/assessments/{pk}/submit/",
        builders.answered_assessment,
        staff=201,
        sponsor=OWN,
    ),
    Op(
        "assessments-what-if",
        "post",
        "/assessments/{pk}/what-if/",
        builders.submitted_assessment,
        const({"changes": {"timeline_pressure": 5}}),
        sponsor=OWN,
    ),
    Op(
        "assessments-send",
        "post",
        "/assessments/{pk}/send/",
        builders.draft_assessment,
        const({}),
        sponsor=404,
    ),
    Op(
        "assessments-recommendations",
        "get",
        "/assessments/{pk}/recommendations/",
        builders.submitted_assessment,
        sponsor=OWN,
    ),
    Op("recommendations-retrieve", "get", "/recommendations/{pk}/", builders.recommendation, sponsor=OWN),
    Op("signatures-retrieve", "get", "/signatures/{pk}/", builders.signature, sponsor=OWN),
    Op(
        "assessments-report",
        "post",
        "/assessments/{pk}/report/",
        builders.submitted_assessment,
        const({}),
        staff=202,
        sponsor=OWN,
    ),
    Op("reports-retrieve", "get", "/reports/{pk}/", builders.ready_report, sponsor=OWN),
    Op("reports-download", "get", "/reports/{pk}/download/", builders.ready_report, sponsor=OWN),
]

SCOPED_COLLECTION = [
    Op("sponsors-list", "get", "/sponsors/", sponsor=OWN),
    Op(
        "sponsors-create",
        "post",
        "/sponsors/",
        body=lambda s, t: {"name": "Gamma Devices", "profile": "medical_device", "owner": s.owner.email},
        staff=201,
    ),
    Op("contacts-list", "get", "/contacts/", sponsor=OWN),
    Op(
        "contacts-create",
        "post",
        "/contacts/",
        body=lambda s, t: {
            "sponsor": str(s.pk),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@sponsor.example",
        },
        staff=201,
        sponsor=OWN,
    ),
    Op("engagements-list", "get", "/engagements/", sponsor=OWN),
    Op(
        "engagements-create",
        "post",
        "/engagements/",
        body=lambda s, t: {"sponsor": str(s.pk), "name": "Phase II oncology study"},
        staff=201,
    ),
    Op("activities-list", "get", "/activities/"),
    Op(
        "activities-create",
        "post",
        "/activities/",
        body=lambda s, t: {"engagement": str(builders.engagement(s).pk), "subject": "Kick-off call"},
        staff=201,
    ),
    Op("follow-ups-list", "get", "/follow-ups/", sponsor=OWN),
    Op(
        "follow-ups-create",
        "post",
        "/follow-ups/",
        body=lambda s, t: {"sponsor": str(s.pk), "title": "Call back", "due_at": later()},
        staff=201,
    ),
    Op("assessments-list", "get", "/assessments/", sponsor=OWN),
    Op("signatures-list", "get", "/signatures/", sponsor=OWN),
    Op("assessments-create", "post", "/assessments/", body=lambda s, t: {"sponsor": str(s.pk)}, staff=201),
    Op("recommendations-list", "get", "/recommendations/", sponsor=OWN),
    Op("reports-list", "get", "/reports/", sponsor=OWN),
]

# --- Shared reference data: every sponsor may read it, only staff may change it ----------------


def _catalog_ops(path: str, model) -> list[Op]:
    name = path.rsplit("/", 1)[-1]
    return [
        Op(f"catalogs-{name}-list", "get", f"/catalogs/{path}/", sponsor=OWN),
        Op(
            f"catalogs-{name}-retrieve",
            "get",
            f"/catalogs/{path}/{{pk}}/",
            builders.catalog_entry(model),
            sponsor=OWN,
        ),
    ]


GLOBAL = [
    Op("providers-list", "get", "/providers/", sponsor=OWN),
    Op(
        "providers-create",
        "post",
        "/providers/",
        body=const({"name": "Nimble FSP", "kind": "fsp", "engagement_models": ["fsp"]}),
        staff=201,
    ),
    Op("providers-retrieve", "get", "/providers/{pk}/", builders.provider, sponsor=OWN),
    Op("providers-update", "patch", "/providers/{pk}/", builders.provider, const({"description": "New."})),
    Op("providers-destroy", "delete", "/providers/{pk}/", builders.provider, staff=204),
    Op("capabilities-list", "get", "/capabilities/", sponsor=OWN),
    Op(
        "capabilities-create",
        "post",
        "/capabilities/",
        body=lambda s, t: {
            "provider": str(builders.provider().pk),
            "function": "medical_writing",
            "depth": 3,
            "capacity_fte": 12,
        },
        staff=201,
    ),
    Op("capabilities-retrieve", "get", "/capabilities/{pk}/", builders.capability, sponsor=OWN),
    Op("capabilities-update", "patch", "/capabilities/{pk}/", builders.capability, const({"depth": 2})),
    Op("capabilities-destroy", "delete", "/capabilities/{pk}/", builders.capability, staff=204),
    Op("expertise-list", "get", "/therapeutic-expertise/", sponsor=OWN),
    Op(
        "expertise-create",
        "post",
        "/therapeutic-expertise/",
        body=lambda s, t: {
            "provider": str(builders.provider().pk),
            "therapeutic_area": "neurology",
            "depth": 5,
        },
        staff=201,
    ),
    Op("expertise-retrieve", "get", "/therapeutic-expertise/{pk}/", builders.expertise, sponsor=OWN),
    Op("expertise-update", "patch", "/therapeutic-expertise/{pk}/", builders.expertise, const({"depth": 2})),
    Op("expertise-destroy", "delete", "/therapeutic-expertise/{pk}/", builders.expertise, staff=204),
    *_catalog_ops("functions", ClinicalFunction),
    *_catalog_ops("therapeutic-areas", TherapeuticArea),
    *_catalog_ops("regions", Region),
    *_catalog_ops("ai-capabilities", AICapability),
    Op("questionnaires-list", "get", "/questionnaires/", sponsor=OWN),
    Op("questionnaires-retrieve", "get", "/questionnaires/{pk}/", builders.questionnaire, sponsor=OWN),
    # Webhooks are staff-only: a sponsor's principal cannot see them at all, so details are 404.
    Op("webhook-endpoints-list", "get", "/webhook-endpoints/"),
    Op(
        "webhook-endpoints-create",
        "post",
        "/webhook-endpoints/",
        body=const({"url": "https://hooks.example.org/new", "events": ["recommendation.created"]}),
        staff=201,
    ),
    Op(
        "webhook-endpoints-retrieve",
        "get",
        "/webhook-endpoints/{pk}/",
        builders.webhook_endpoint,
        sponsor=404,
    ),
    Op(
        "webhook-endpoints-update",
        "patch",
        "/webhook-endpoints/{pk}/",
        builders.webhook_endpoint,
        const({"description": "CRM sync"}),
        sponsor=404,
    ),
    Op(
        "webhook-endpoints-destroy",
        "delete",
        "/webhook-endpoints/{pk}/",
        builders.webhook_endpoint,
        staff=204,
        sponsor=404,
    ),
    Op("webhook-deliveries-list", "get", "/webhook-deliveries/"),
    Op(
        "webhook-deliveries-retrieve",
        "get",
        "/webhook-deliveries/{pk}/",
        builders.webhook_delivery,
        sponsor=404,
    ),
]

ALL_OPS = SCOPED_DETAIL + SCOPED_COLLECTION + GLOBAL


def _ids(ops):
    return [op.label for op in ops]


# --- Staff --------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ALL_OPS, ids=_ids(ALL_OPS))
def test_staff_key_may_perform_every_operation(op, staff_key, sponsor_a):
    target, payload = op.prepare(sponsor_a)
    response = op.send(staff_key, target, payload)
    assert response.status_code == op.staff, response.content[:500]


@pytest.mark.parametrize("op", ALL_OPS, ids=_ids(ALL_OPS))
def test_staff_user_session_may_perform_every_operation(op, staff_session, sponsor_a):
    target, payload = op.prepare(sponsor_a)
    response = op.send(staff_session, target, payload)
    assert response.status_code == op.staff, response.content[:500]


# --- The object's own sponsor: allowed for sponsor actions, 403 otherwise ------------------------


@pytest.mark.parametrize("op", ALL_OPS, ids=_ids(ALL_OPS))
def test_own_sponsors_key_is_allowed_only_its_sponsor_actions(op, key_a, sponsor_a):
    target, payload = op.prepare(sponsor_a)
    before = db_state()
    response = op.send(key_a, target, payload)
    assert response.status_code == op.own_status, response.content[:500]
    if response.status_code >= 400:
        assert_error(response, op.own_status)
        assert db_state() == before


@pytest.mark.parametrize("op", ALL_OPS, ids=_ids(ALL_OPS))
def test_portal_member_is_allowed_what_a_sponsor_key_is(op, member_a, sponsor_a):
    target, payload = op.prepare(sponsor_a)
    before = db_state()
    response = op.send(member_a, target, payload)
    assert response.status_code == op.own_status, response.content[:500]
    if response.status_code >= 400:
        assert_error(response, op.own_status)
        assert db_state() == before


# --- Another sponsor: every method on sponsor A's objects is a 404 ------------------------------


@pytest.mark.parametrize("op", SCOPED_DETAIL, ids=_ids(SCOPED_DETAIL))
def test_other_sponsors_key_gets_404(op, key_b, sponsor_a):
    target, payload = op.prepare(sponsor_a)
    before = db_state()
    response = op.send(key_b, target, payload)
    assert_error(response, 404, "not_found")
    assert db_state() == before


@pytest.mark.parametrize("op", SCOPED_DETAIL, ids=_ids(SCOPED_DETAIL))
def test_other_sponsors_portal_member_gets_404(op, member_b, sponsor_a):
    target, payload = op.prepare(sponsor_a)
    before = db_state()
    response = op.send(member_b, target, payload)
    assert_error(response, 404, "not_found")
    assert db_state() == before


@pytest.mark.parametrize("op", SCOPED_DETAIL, ids=_ids(SCOPED_DETAIL))
def test_other_sponsors_404_is_identical_to_a_missing_objects(op, key_b, sponsor_a):
    """Not visible and not existing are never told apart."""
    target, payload = op.prepare(sponsor_a)
    foreign = op.send(key_b, target, payload)
    missing = getattr(key_b, op.method)(API + op.path.format(pk=uuid.uuid4()), payload, format="json")
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize("method", ["put", "post", "head", "options"])
def test_unsupported_or_meta_methods_on_a_foreign_object_answer_as_for_a_missing_one(
    method, key_b, sponsor_a
):
    engagement = builders.engagement(sponsor_a)
    foreign = getattr(key_b, method)(f"{API}/engagements/{engagement.pk}/", {}, format="json")
    missing = getattr(key_b, method)(f"{API}/engagements/{uuid.uuid4()}/", {}, format="json")
    assert foreign.status_code == missing.status_code
    assert foreign.content == missing.content


# --- Nobody --------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ALL_OPS, ids=_ids(ALL_OPS))
def test_no_credentials_gets_401(op, anonymous, sponsor_a):
    target, payload = op.prepare(sponsor_a)
    before = db_state()
    response = op.send(anonymous, target, payload)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Api-Key"
    assert db_state() == before


@pytest.mark.parametrize(
    "header",
    ["Api-Key not-a-real-key", "Api-Key ", "Api-Key two parts", "Bearer abc"],
    ids=["unknown", "empty", "malformed", "other-scheme"],
)
def test_bad_credentials_get_401(header, sponsor_a):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(f"{API}/engagements/")
    assert_error(response, 401)


def test_revoked_key_gets_401(sponsor_a):
    key, raw = factories.api_key(sponsor=sponsor_a)
    ApiKey.objects.filter(pk=key.pk).update(revoked=True)
    assert_error(factories.api_client(raw).get(f"{API}/engagements/"), 401)


def test_expired_key_gets_401(sponsor_a):
    _, raw = factories.api_key(sponsor=sponsor_a, expiry_date=timezone.now() - timedelta(minutes=1))
    assert_error(factories.api_client(raw).get(f"{API}/engagements/"), 401)


# --- Lists never contain another sponsor's rows --------------------------------------------------

LISTED = [
    ("/sponsors/", lambda s: s),
    ("/contacts/", builders.contact),
    ("/engagements/", builders.engagement),
    ("/follow-ups/", builders.follow_up),
    ("/assessments/", builders.sent_assessment),
    ("/recommendations/", builders.recommendation),
    ("/reports/", builders.ready_report),
]


@pytest.fixture(params=["key", "member"])
def principal_a(request, sponsor_a):
    if request.param == "key":
        return factories.api_client(factories.api_key(sponsor=sponsor_a)[1])
    membership = factories.MembershipFactory(sponsor=sponsor_a, role=MembershipRole.VIEWER)
    return session_client(membership.user)


@pytest.mark.parametrize(("path", "make"), LISTED, ids=[p.strip("/") for p, _ in LISTED])
def test_sponsor_list_contains_exactly_its_own_rows(path, make, principal_a, sponsor_a, sponsor_b):
    own = {str(make(sponsor_a).pk) for _ in range(2)} if path != "/sponsors/" else {str(sponsor_a.pk)}
    foreign = {str(make(sponsor_b).pk) for _ in range(2)} if path != "/sponsors/" else {str(sponsor_b.pk)}
    response = principal_a.get(API + path)
    assert response.status_code == 200
    assert ids(response) == own
    assert not ids(response) & foreign


@pytest.mark.parametrize(("path", "make"), LISTED, ids=[p.strip("/") for p, _ in LISTED])
def test_staff_list_contains_every_sponsors_rows(path, make, staff_key, sponsor_a, sponsor_b):
    expected = {str(make(sponsor_a).pk), str(make(sponsor_b).pk)}
    response = staff_key.get(API + path)
    assert response.status_code == 200
    assert expected <= ids(response)


def test_member_of_two_sponsors_lists_both_and_nothing_else(sponsor_a, sponsor_b):
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, sponsor=sponsor_a)
    factories.MembershipFactory(user=user, sponsor=sponsor_b)
    third = builders.engagement(factories.SponsorFactory())
    mine = {str(builders.engagement(sponsor_a).pk), str(builders.engagement(sponsor_b).pk)}
    response = session_client(user).get(f"{API}/engagements/")
    assert ids(response) == mine
    assert str(third.pk) not in ids(response)


def test_signed_in_user_without_membership_sees_no_rows(sponsor_a):
    builders.engagement(sponsor_a)
    client = session_client(factories.UserFactory())
    assert ids(client.get(f"{API}/engagements/")) == set()
    assert ids(client.get(f"{API}/sponsors/")) == set()


def test_sponsor_key_does_not_see_account_managers_notes(key_a, sponsor_a):
    sponsor_a.notes = "Budget is tight; push FSP."
    sponsor_a.save()
    assert "notes" not in key_a.get(f"{API}/sponsors/{sponsor_a.pk}/").json()


def test_sponsor_key_does_not_see_draft_questionnaires(key_a, staff_key):
    from assessments.services import new_questionnaire_version

    draft = new_questionnaire_version(questionnaire=factories.reference_questionnaire())
    assert str(draft.pk) not in ids(key_a.get(f"{API}/questionnaires/"))
    assert_error(key_a.get(f"{API}/questionnaires/{draft.pk}/"), 404)
    assert str(draft.pk) in ids(staff_key.get(f"{API}/questionnaires/"))


# --- Portal roles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "make", "body"),
    [
        ("answers", builders.sent_assessment, {"answers": {"clinical_leadership": 4}}),
        ("submit", builders.answered_assessment, None),
    ],
)
def test_viewer_member_may_read_but_not_answer_or_submit(action, make, body, sponsor_a):
    membership = factories.MembershipFactory(sponsor=sponsor_a, role=MembershipRole.VIEWER)
    client = session_client(membership.user)
    assessment = make(sponsor_a)
    before = db_state()
    assert client.get(f"{API}/assessments/{assessment.pk}/").status_code == 200
    response = client.post(f"{API}/assessments/{assessment.pk}/{action}/", body, format="json")
    assert_error(response, 403, "permission_denied")
    assert db_state() == before


def test_deactivated_portal_member_gets_401(sponsor_a):
    membership = factories.MembershipFactory(sponsor=sponsor_a)
    client = session_client(membership.user)
    membership.user.is_active = False
    membership.user.save()
    assert_error(client.get(f"{API}/engagements/"), 401)


VIEWER_CONTACT_WRITES = [
    ("post", "/contacts/", True),
    ("patch", "/contacts/{pk}/", False),
    ("delete", "/contacts/{pk}/", False),
]


@pytest.mark.parametrize(
    ("method", "path", "collection"), VIEWER_CONTACT_WRITES, ids=["create", "update", "destroy"]
)
def test_read_only_viewer_cannot_write_contacts(method, path, collection, sponsor_a):
    membership = factories.MembershipFactory(sponsor=sponsor_a, role=MembershipRole.VIEWER)
    client = session_client(membership.user)
    contact = builders.contact(sponsor_a)
    body = (
        {"sponsor": str(sponsor_a.pk), "first_name": "V", "last_name": "Iewer", "email": "v@a.example"}
        if collection
        else {"job_title": "Changed by a viewer"}
    )
    before = db_state()
    response = getattr(client, method)(API + path.format(pk=contact.pk), body, format="json")
    assert response.status_code == 403
    assert db_state() == before


# --- Writes that point at another sponsor's objects are refused, and change nothing -------------


def test_sponsor_key_cannot_create_a_contact_for_another_sponsor(key_a, sponsor_b):
    response = key_a.post(
        f"{API}/contacts/",
        {"sponsor": str(sponsor_b.pk), "first_name": "Eve", "last_name": "Spy", "email": "eve@x.example"},
        format="json",
    )
    error = assert_error(response, 400, "invalid")
    assert "sponsor" in error["fields"]
    assert not Contact.objects.filter(email="eve@x.example").exists()


def test_portal_member_cannot_create_a_contact_for_another_sponsor(member_a, sponsor_b):
    before = db_state()
    response = member_a.post(
        f"{API}/contacts/",
        {"sponsor": str(sponsor_b.pk), "first_name": "Eve", "last_name": "Spy", "email": "eve@x.example"},
        format="json",
    )
    assert "sponsor" in assert_error(response, 400)["fields"]
    assert db_state() == before


def test_foreign_sponsor_id_in_a_body_is_refused_exactly_like_a_missing_one(key_a, sponsor_b):
    def attempt(sponsor_id):
        body = {"sponsor": sponsor_id, "first_name": "E", "last_name": "S", "email": "e@x.example"}
        return key_a.post(f"{API}/contacts/", body, format="json").json()

    assert attempt(str(sponsor_b.pk)) == attempt(str(uuid.uuid4()))


@pytest.mark.parametrize("client_name", ["key_a", "staff_key"])
def test_contact_cannot_be_moved_to_another_sponsor(client_name, request, sponsor_a, sponsor_b):
    client = request.getfixturevalue(client_name)
    contact = builders.contact(sponsor_a)
    before = db_state()
    response = client.patch(f"{API}/contacts/{contact.pk}/", {"sponsor": str(sponsor_b.pk)}, format="json")
    assert "sponsor" in assert_error(response, 400)["fields"]
    assert db_state() == before


# A PATCH that points an object of sponsor A at sponsor B (or at one of B's objects), and a POST
# that mixes the two sponsors, are refused by naming the field, and change nothing.
# (path of A's object, the field, what the field is set to: B itself or B's engagement)
REPOINTS = {
    "engagement to another sponsor": ("/engagements/", builders.engagement, "sponsor", "sponsor"),
    "assessment to another sponsor": ("/assessments/", builders.draft_assessment, "sponsor", "sponsor"),
    "assessment to another sponsor's engagement": (
        "/assessments/",
        builders.draft_assessment,
        "engagement",
        "engagement",
    ),
    "follow-up to another sponsor's engagement": (
        "/follow-ups/",
        builders.follow_up,
        "engagement",
        "engagement",
    ),
    "activity to another sponsor's engagement": (
        "/activities/",
        builders.activity,
        "engagement",
        "engagement",
    ),
}


@pytest.mark.parametrize("case", REPOINTS)
def test_an_object_cannot_be_pointed_at_another_sponsor(case, staff_key, sponsor_a, sponsor_b):
    path, make, field, target = REPOINTS[case]
    obj = make(sponsor_a)
    value = sponsor_b.pk if target == "sponsor" else builders.engagement(sponsor_b).pk
    before = db_state()
    response = staff_key.patch(f"{API}{path}{obj.pk}/", {field: str(value)}, format="json")
    assert field in assert_error(response, 400)["fields"]
    assert db_state() == before


@pytest.mark.parametrize(
    "path, extra",
    [("/assessments/", dict), ("/follow-ups/", lambda: {"title": "X", "due_at": later()})],
    ids=["assessment", "follow-up"],
)
def test_an_object_cannot_be_created_for_one_sponsor_with_another_sponsors_engagement(
    path, extra, staff_key, sponsor_a, sponsor_b
):
    engagement = builders.engagement(sponsor_b)
    body = {"sponsor": str(sponsor_a.pk), "engagement": str(engagement.pk), **extra()}
    before = db_state()
    response = staff_key.post(f"{API}{path}", body, format="json")
    assert "engagement" in assert_error(response, 400)["fields"]
    assert db_state() == before


# --- Filters must not reveal whether another sponsor's object exists -----------------------------

FILTERS = [
    ("/engagements/", "sponsor", lambda s: s),
    ("/contacts/", "sponsor", lambda s: s),
    ("/follow-ups/", "sponsor", lambda s: s),
    ("/assessments/", "sponsor", lambda s: s),
    ("/follow-ups/", "engagement", builders.engagement),
    ("/assessments/", "engagement", builders.engagement),
    ("/recommendations/", "assessment", builders.submitted_assessment),
]


@pytest.mark.parametrize(
    ("path", "param", "make"), FILTERS, ids=[f"{p.strip('/')}?{q}" for p, q, _ in FILTERS]
)
def test_filtering_by_a_foreign_id_answers_like_filtering_by_a_missing_id(
    path, param, make, key_b, sponsor_a
):
    foreign = key_b.get(f"{API}{path}?{param}={make(sponsor_a).pk}")
    missing = key_b.get(f"{API}{path}?{param}={uuid.uuid4()}")
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
