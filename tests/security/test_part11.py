"""21 CFR Part 11 features: electronic signatures (11.50, 11.70, 11.100, 11.200), reasons for
change, and the signed review of the audit trail."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from assessments import reports, services
from assessments.models import AssessmentStatus, Questionnaire, QuestionnaireStatus, Recommendation
from core import audit, audit_review, signatures
from core.errors import ApplicationError
from core.models import AuditReview, AuditReviewStatus, Signature
from tests.factories import (
    PASSWORD,
    AccountManagerFactory,
    SponsorFactory,
    api_client,
    api_key,
    reference_questionnaire,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


def _code(device) -> str:
    device.throttle_reset()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def signer(db):
    person = AccountManagerFactory(first_name="Maya", last_name="Lindqvist")
    person.device = TOTPDevice.objects.create(user=person, name="phone", confirmed=True)
    return person


@pytest.fixture
def signer_client(client, signer):
    client.force_login(signer)
    return client


def _review(client, signer, assessment, **overrides):
    data = {
        "meaning": "reviewed",
        "comment": "Walked through the plan with their COO.",
        "password": PASSWORD,
        "code": _code(signer.device),
        **overrides,
    }
    return client.post(reverse("admin:assessments_assessment_review", args=[assessment.pk]), data)


# --- Signing ------------------------------------------------------------------------------------


def test_a_signature_records_printed_name_time_meaning_and_the_version_signed(signer_client, signer):
    assessment = submitted_assessment()
    before = timezone.now()
    assert _review(signer_client, signer, assessment).status_code == 302
    recommendation = Recommendation.objects.get(assessment=assessment)
    (signature,) = Signature.objects.all()
    assert signature.printed_name == "Maya Lindqvist" and signature.signer == signer
    assert signature.meaning == "reviewed" and signature.signed_at >= before - timedelta(seconds=1)
    assert signature.record_type == ContentType.objects.get_for_model(Recommendation)
    assert signature.record_id == str(recommendation.pk)
    assert signature.record_hash == signatures.fingerprint(recommendation)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.REVIEWED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "not-my-password"}, "The password is not right"),
        ({"code": "000000"}, "The code is not valid"),
        ({"code": ""}, "This field is required"),
        ({"meaning": "awarded"}, "Select a valid choice"),
        ({"comment": "ok"}, "at least five characters"),
    ],
)
def test_a_wrong_component_signs_nothing_and_changes_nothing(signer_client, signer, overrides, message):
    assessment = submitted_assessment()
    response = _review(signer_client, signer, assessment, **overrides)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Signature.objects.exists()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_signing_needs_an_enrolled_second_factor(am_client, account_manager):
    assessment = submitted_assessment()
    response = am_client.post(
        reverse("admin:assessments_assessment_review", args=[assessment.pk]),
        {"meaning": "reviewed", "comment": "Looked at it closely.", "password": PASSWORD, "code": "123456"},
    )
    assert response.status_code == 400
    assert "set up your authenticator app first" in response.content.decode()
    assert not Signature.objects.exists()


def test_someone_elses_password_does_not_sign(signer_client, signer):
    assessment = submitted_assessment()
    other = AccountManagerFactory()
    other.set_password("another-good-password")
    other.save()
    response = _review(signer_client, signer, assessment, password="another-good-password")
    assert response.status_code == 400 and not Signature.objects.exists()


def test_a_second_signature_approves_without_changing_the_review(signer_client, signer):
    assessment = submitted_assessment()
    _review(signer_client, signer, assessment)
    approver = AccountManagerFactory(first_name="Tom", last_name="Okafor")
    approver.device = TOTPDevice.objects.create(user=approver, name="phone", confirmed=True)
    signer_client.force_login(approver)
    _review(signer_client, approver, assessment, meaning="approved", comment="Approved for the board pack.")
    assert list(Signature.objects.order_by("signed_at").values_list("meaning", "printed_name")) == [
        ("reviewed", "Maya Lindqvist"),
        ("approved", "Tom Okafor"),
    ]
    assessment.refresh_from_db()
    assert assessment.reviewed_by == signer


def test_signatures_cannot_be_changed_or_deleted(signer_client, signer):
    _review(signer_client, signer, submitted_assessment())
    signature = Signature.objects.get()
    signature.meaning = "approved"
    with pytest.raises(Exception, match="cannot be changed"):
        signature.save()
    with pytest.raises(Exception, match="cannot be deleted"):
        signature.delete()
    if connection.vendor == "postgresql":
        for sql in ["UPDATE core_signature SET meaning = 'approved'", "DELETE FROM core_signature"]:
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    assert Signature.objects.get().meaning == "reviewed"


@pytest.mark.postgres
def test_a_signature_is_in_the_audit_trail(signer_client, signer):
    _review(signer_client, signer, submitted_assessment())
    rows = audit.rows(audit.events(model=Signature))
    assert rows[0]["event"] == "created" and rows[0]["actor"] == f"user:{signer.email}"


# --- Where signatures are shown -----------------------------------------------------------------


def test_signature_shows_in_the_admin_the_portal_and_the_pdf(signer_client, signer, client):
    from tests.factories import MembershipFactory

    assessment = submitted_assessment()
    _review(signer_client, signer, assessment)
    admin_page = signer_client.get(reverse("admin:assessments_assessment_change", args=[assessment.pk]))
    assert "Reviewed by Maya Lindqvist on" in admin_page.content.decode()

    member = MembershipFactory(sponsor=assessment.sponsor)
    client.force_login(member.user)
    portal = client.get(reverse("portal:recommendation", args=[assessment.pk])).content.decode()
    assert "Reviewed by Maya Lindqvist on" in portal and "UTC" in portal

    report = reports.request_report(assessment=assessment)
    pdf, _ = reports.render_pdf(report)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Reviewed by Maya Lindqvist on" in " ".join(text.split())


def test_a_later_recommendation_shows_the_signature_applies_to_the_earlier_version(signer_client, signer):
    assessment = submitted_assessment()
    _review(signer_client, signer, assessment)
    earlier = Recommendation.objects.get(assessment=assessment)
    # A re-scoring (new engine or provider catalog) makes a new recommendation.
    Recommendation.objects.create(
        **{
            f.name: getattr(earlier, f.name)
            for f in Recommendation._meta.concrete_fields
            if f.name not in ("id", "created_at")
        }
        | {"engine_version": "9.9.9"}
    )
    page = signer_client.get(reverse("admin:assessments_assessment_change", args=[assessment.pk]))
    assert "applies to the earlier version" in page.content.decode()
    _, raw = api_key()
    (row,) = api_client(raw).get("/api/v1/signatures/").json()["results"]
    assert row["applies_to_current_version"] is True  # the signed record itself did not change
    assert row["record_type"] == "recommendation" and row["record_id"] == str(earlier.pk)


def test_the_api_reads_signatures_of_its_own_sponsor_only_and_cannot_sign(signer_client, signer):
    assessment = submitted_assessment()
    _review(signer_client, signer, assessment)
    _own_key, own = api_key(sponsor=assessment.sponsor)
    _, other = api_key(sponsor=SponsorFactory())
    rows = api_client(own).get("/api/v1/signatures/").json()["results"]
    assert [(r["printed_name"], r["meaning"]) for r in rows] == [("Maya Lindqvist", "reviewed")]
    assert api_client(other).get("/api/v1/signatures/").json()["results"] == []
    signature = Signature.objects.get()
    assert api_client(other).get(f"/api/v1/signatures/{signature.pk}/").status_code == 404
    for method in ("post", "patch", "delete"):
        response = getattr(api_client(own), method)("/api/v1/signatures/", {}, format="json")
        assert response.status_code in (403, 405)
    staff = api_client(api_key()[1])
    assert staff.post(f"/api/v1/signatures/{signature.pk}/", {}, format="json").status_code == 405
    assert staff.post(f"/api/v1/assessments/{assessment.pk}/review/", {}, format="json").status_code == 404


# --- Publishing a questionnaire is signed ---------------------------------------------------------


def _draft_copy(by):
    return services.new_questionnaire_version(questionnaire=reference_questionnaire(), by=by)


def test_publishing_a_questionnaire_is_a_signed_act(signer_client, signer):
    draft = _draft_copy(signer)
    response = signer_client.post(
        reverse("admin:assessments_questionnaire_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"{draft.pk}/publish/")
    refused = signer_client.post(
        response["Location"],
        {"meaning": "approved", "password": "wrong-password", "code": _code(signer.device)},
    )
    assert refused.status_code == 400
    draft.refresh_from_db()
    assert draft.status == QuestionnaireStatus.DRAFT
    signer_client.post(
        response["Location"], {"meaning": "authored", "password": PASSWORD, "code": _code(signer.device)}
    )
    draft.refresh_from_db()
    assert draft.status == QuestionnaireStatus.PUBLISHED
    (signature,) = Signature.objects.all()
    assert signature.meaning == "authored" and signature.record_hash == signatures.fingerprint(draft)
    page = signer_client.get(
        reverse("admin:assessments_questionnaire_change", args=[draft.pk])
    ).content.decode()
    assert "Authored by Maya Lindqvist" in page


def test_a_changed_questionnaire_no_longer_matches_its_signature(signer_client, signer):
    draft = _draft_copy(signer)
    signer_client.post(
        reverse("admin:assessments_questionnaire_publish", args=[draft.pk]),
        {"meaning": "approved", "password": PASSWORD, "code": _code(signer.device)},
    )
    # A change made behind the application's back (the models refuse it) breaks the match.
    Questionnaire.objects.filter(pk=draft.pk).update(description="Edited after signing")
    draft.refresh_from_db()
    (shown,) = signatures.shown(draft)
    assert not shown.current and "applies to the earlier version" in shown.sentence


# --- Reasons for change ---------------------------------------------------------------------------


def _sponsor_form(sponsor, **extra):
    return {
        "name": sponsor.name,
        "profile": sponsor.profile,
        "status": "client",
        "owner": sponsor.owner.pk,
        "headquarters": "Basel",
        "website": "",
        "notes": "",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "capabilities-TOTAL_FORMS": "0",
        "capabilities-INITIAL_FORMS": "0",
        "engagements-TOTAL_FORMS": "0",
        "engagements-INITIAL_FORMS": "0",
        **extra,
    }


def test_an_admin_edit_of_a_sponsor_needs_a_reason(superuser, client):
    client.force_login(superuser)
    sponsor = SponsorFactory(status="prospect")
    url = reverse("admin:engagements_sponsor_change", args=[sponsor.pk])
    assert "Reason for change" in client.get(url).content.decode()
    refused = client.post(url, _sponsor_form(sponsor))
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    sponsor.refresh_from_db()
    assert sponsor.status == "prospect"


@pytest.mark.postgres
def test_the_reason_lands_in_the_audit_event(superuser, client):
    client.force_login(superuser)
    sponsor = SponsorFactory(status="prospect")
    url = reverse("admin:engagements_sponsor_change", args=[sponsor.pk])
    response = client.post(url, _sponsor_form(sponsor, change_reason="Signed the MSA on 1 December"))
    assert response.status_code == 302, response.context and response.context.get("errors")
    event = audit.rows(audit.events(obj=sponsor))[0]
    assert event["reason"] == "Signed the MSA on 1 December"
    assert event["actor"] == f"user:{superuser.email}"


@pytest.mark.postgres
def test_the_api_records_the_reason_header(settings):
    from engagements.models import Contact
    from tests.factories import ContactFactory

    contact = ContactFactory()
    _, raw = api_key()
    client = api_client(raw)
    response = client.patch(
        f"/api/v1/contacts/{contact.pk}/",
        {"job_title": "COO"},
        format="json",
        HTTP_X_CHANGE_REASON="Promoted, per their press release",
    )
    assert response.status_code == 200
    assert audit.rows(audit.events(obj=contact))[0]["reason"] == "Promoted, per their press release"
    assert Contact.objects.get(pk=contact.pk).job_title == "COO"


def test_the_api_can_require_a_reason(settings):
    from engagements.models import Contact
    from tests.factories import ContactFactory

    settings.API_REQUIRE_CHANGE_REASON = True
    contact = ContactFactory(job_title="CMO")
    client = api_client(api_key()[1])
    refused = client.patch(f"/api/v1/contacts/{contact.pk}/", {"job_title": "COO"}, format="json")
    assert refused.status_code == 400
    assert "X-Change-Reason" in refused.json()["error"]["fields"]
    assert Contact.objects.get(pk=contact.pk).job_title == "CMO"
    assert client.get(f"/api/v1/contacts/{contact.pk}/").status_code == 200  # reads need none
    bad = client.patch(
        f"/api/v1/contacts/{contact.pk}/", {"job_title": "COO"}, format="json", HTTP_X_CHANGE_REASON="x" * 501
    )
    assert bad.status_code == 400


# --- Audit-trail review ---------------------------------------------------------------------------


@pytest.fixture
def reviewer_client(client, signer):
    from django.contrib.auth.models import Permission

    signer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_auditreview", "add_auditreview", "change_auditreview"])
    )
    client.force_login(signer)
    return client


@pytest.mark.postgres
def test_a_review_records_exceptions_is_signed_and_exports_pdf_and_csv(reviewer_client, signer):
    from engagements.models import Sponsor

    sponsor = SponsorFactory(name="Reviewed Bio")
    Sponsor.objects.filter(pk=sponsor.pk).update(status="client")
    today = timezone.localdate()
    response = reviewer_client.post(
        reverse("admin:core_auditreview_add"),
        {"period_start": today.isoformat(), "period_end": today.isoformat(), "summary": "Weekly review."},
    )
    assert response.status_code == 302
    review = AuditReview.objects.get()
    page = reviewer_client.get(reverse("admin:core_auditreview_change", args=[review.pk])).content.decode()
    assert "Sponsor" in page and "Reviewed Bio" in page
    slug = next(
        row["slug"]
        for row in audit.rows(audit_review.events_in(review, user=signer))
        if row["model"] == "Sponsor"
    )
    reviewer_client.post(
        reverse("admin:core_auditreview_exception", args=[review.pk]),
        {"event_slug": slug, "note": "Status changed outside the app: asked IT why."},
    )
    assert review.exceptions.count() == 1
    signed = reviewer_client.post(
        reverse("admin:core_auditreview_sign", args=[review.pk]),
        {
            "meaning": "reviewed",
            "password": PASSWORD,
            "code": _code(signer.device),
            "comment": "One exception.",
        },
    )
    assert signed.status_code == 302
    review.refresh_from_db()
    assert review.status == AuditReviewStatus.SIGNED and review.events_count >= 2 and review.events_digest
    with pytest.raises(ApplicationError):
        audit_review.add_exception(review=review, by=signer, event_slug=slug, note="Too late to add this")

    pdf = reviewer_client.get(reverse("admin:core_auditreview_export", args=[review.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Reviewed by Maya Lindqvist" in text and "asked IT why" in text
    exported = reviewer_client.get(reverse("admin:core_auditreview_export", args=[review.pk, "csv"]))
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    sections = {row["section"] for row in rows}
    assert sections == {"signature", "exception", "event"}
    assert any(
        "prospect → client" in row["what changed"] or "'prospect' → 'client'" in row["what changed"]
        for row in rows
    )


@pytest.mark.postgres
def test_an_event_added_to_a_signed_period_shows_the_signature_covers_the_earlier_state(
    reviewer_client, signer
):
    today = timezone.localdate()
    SponsorFactory()
    review = audit_review.start_review(by=signer, period_start=today, period_end=today, summary="Daily.")
    request = type("R", (), {"META": {"REMOTE_ADDR": "127.0.0.1"}, "path": "/admin/"})()
    from django.test import RequestFactory

    request = RequestFactory().post("/admin/")
    audit_review.sign_review(
        review=review, by=signer, request=request, password=PASSWORD, code=_code(signer.device)
    )
    review.refresh_from_db()
    assert signatures.shown(review)[0].current
    SponsorFactory()  # a later event in the same period
    review.events_count, review.events_digest = audit_review.digest(review)  # what the period holds now
    assert not signatures.shown(review)[0].current


def test_review_input_is_checked(reviewer_client, signer):
    today = timezone.localdate()
    for start, end in [
        (today, today - timedelta(days=1)),
        (today + timedelta(days=3), today + timedelta(days=4)),
    ]:
        response = reviewer_client.post(
            reverse("admin:core_auditreview_add"), {"period_start": start, "period_end": end, "summary": ""}
        )
        assert response.status_code == 200
    assert not AuditReview.objects.exists()
    review = audit_review.start_review(by=signer, period_start=today, period_end=today)
    response = reviewer_client.post(
        reverse("admin:core_auditreview_exception", args=[review.pk]),
        {"event_slug": "engagements.SponsorEvent:999999", "note": "No such event here"},
        follow=True,
    )
    assert "not in this review" in response.content.decode()
    assert review.exceptions.count() == 0
    assert reviewer_client.get(f"/admin/core/auditreview/{review.pk}/export.xml").status_code == 404


def test_reviews_are_refused_to_staff_without_permission(am_client, signer):
    today = timezone.localdate()
    review = audit_review.start_review(by=signer, period_start=today, period_end=today)
    assert am_client.get(reverse("admin:core_auditreview_change", args=[review.pk])).status_code == 403
    assert am_client.get(reverse("admin:core_auditreview_export", args=[review.pk, "csv"])).status_code == 403
