"""The audit trail: every write path recorded with who, when, what and why; nothing can erase it."""

import csv
import io
import logging
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from assessments import reports
from assessments.models import Answer, Assessment, Questionnaire, Recommendation, Report
from core import audit
from core.models import ApiKey
from engagements.models import Contact, Engagement, FollowUp, Sponsor
from providers.models import Capability, Provider
from tests.factories import (
    CapabilityFactory,
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    ProviderFactory,
    SponsorFactory,
    api_client,
    api_key,
    submitted_assessment,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _labels(obj) -> list[str]:
    return [row["event"] for row in reversed(audit.rows(audit.events(obj=obj)))]


def _report():
    assessment = submitted_assessment()
    report = reports.request_report(assessment=assessment)
    return report


# kind: (maker, change made through save(), change made through QuerySet.update())
MAKERS = {
    "sponsor": (SponsorFactory, {"status": "client"}, {"status": "dormant"}),
    "contact": (ContactFactory, {"job_title": "CMO"}, {"job_title": "CEO"}),
    "engagement": (EngagementFactory, {"probability": 55}, {"probability": 65}),
    "follow_up": (FollowUpFactory, {"title": "Renamed"}, {"title": "Renamed again"}),
    "provider": (ProviderFactory, {"senior_access": 5}, {"senior_access": 4}),
    "capability": (CapabilityFactory, {"depth": 2}, {"depth": 3}),
    "api_key": (lambda: api_key()[0], {"name": "renamed"}, {"name": "renamed again"}),
    "report": (_report, {"failure_reason": "test"}, {"failure_reason": "test again"}),
}


@pytest.mark.parametrize("kind", MAKERS)
def test_create_save_queryset_update_and_delete_are_all_recorded(kind):
    make, saved, updated = MAKERS[kind]
    obj = make()
    model = type(obj)
    for field, value in saved.items():
        setattr(obj, field, value)
    obj.save()
    model.objects.filter(pk=obj.pk).update(**updated)  # no ORM signal fires here; the trigger does
    with transaction.atomic():
        connection.cursor().execute(
            f"DELETE FROM {model._meta.db_table} WHERE {model._meta.pk.column} = %s", [obj.pk]
        )
    assert _labels(obj) == ["created", "changed", "changed", "deleted"]


def test_questionnaires_assessments_answers_and_recommendations_are_recorded():
    assessment = submitted_assessment()
    recommendation = Recommendation.objects.get(assessment=assessment)
    answer = Answer.objects.filter(assessment=assessment).first()
    assert "created" in _labels(assessment) and "changed" in _labels(assessment)
    assert _labels(recommendation) == ["created"]
    assert _labels(answer) == ["created"]
    questionnaire = Questionnaire.objects.first()
    Questionnaire.objects.filter(pk=questionnaire.pk).update(description="changed behind the app's back")
    assert _labels(questionnaire)[-1] == "changed"


def test_bulk_updates_are_recorded_row_by_row():
    engagements = EngagementFactory.create_batch(3)
    Engagement.objects.filter(pk__in=[e.pk for e in engagements]).update(probability=90)
    for engagement in engagements:
        assert audit.rows(audit.events(obj=engagement))[0]["changes"]["probability"][1] == 90


def test_an_update_records_old_and_new_values_and_server_time():
    sponsor = SponsorFactory(name="Old Name Bio")
    before = timezone.now()
    Sponsor.objects.filter(pk=sponsor.pk).update(name="New Name Bio")
    latest = audit.rows(audit.events(obj=sponsor))[0]
    assert latest["changes"]["name"] == ["Old Name Bio", "New Name Bio"]
    assert latest["time"] >= (before - timedelta(seconds=5)).isoformat()


def test_who_and_why_are_recorded_for_admin_changes(am_client, account_manager):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import PASSWORD

    device = TOTPDevice.objects.create(user=account_manager, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assessment = submitted_assessment()
    am_client.post(
        reverse("admin:assessments_assessment_review", args=[assessment.pk]),
        {"meaning": "reviewed", "comment": "Discussed with the CMO", "password": PASSWORD, "code": code},
    )
    event = audit.rows(audit.events(obj=assessment))[0]
    assert event["actor"] == f"user:{account_manager.email}"
    assert event["reason"] == "Reviewed (signed): Discussed with the CMO"
    assert event["changes"]["status"] == ["submitted", "reviewed"]


def test_api_keys_are_named_as_the_actor():
    key, raw = api_key(name="CTMS")
    contact = ContactFactory()
    api_client(raw).patch(f"/api/v1/contacts/{contact.pk}/", {"job_title": "Head of Ops"}, format="json")
    event = audit.rows(audit.events(obj=contact))[0]
    assert event["actor"] == f"api-key:{key.prefix} (CTMS)"


def test_background_tasks_are_named_as_the_actor():
    from engagements.tasks import remind_due_follow_ups

    follow_up = FollowUpFactory(due_at=timezone.now() - timedelta(minutes=1))
    remind_due_follow_ups.apply()
    assert (
        audit.rows(audit.events(obj=follow_up))[0]["actor"] == "task:engagements.tasks.remind_due_follow_ups"
    )


@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'forged'", "DELETE FROM {table}"])
def test_the_trail_cannot_be_changed_or_deleted(statement):
    from django.db.utils import InternalError, ProgrammingError

    from engagements.models import SponsorEvent

    SponsorFactory()
    with pytest.raises((ProgrammingError, InternalError)), transaction.atomic():
        connection.cursor().execute(statement.format(table=SponsorEvent._meta.db_table))
    assert SponsorEvent.objects.filter(pgh_label="forged").count() == 0
    assert SponsorEvent.objects.exists()


def test_staff_read_and_export_the_trail_per_object_and_period(am_client, caplog):
    sponsor = SponsorFactory(name="Exported Bio")
    Sponsor.objects.filter(pk=sponsor.pk).update(status="client")
    page = am_client.get(reverse("admin:audit_trail"), {"model": "engagements.Sponsor", "object": sponsor.pk})
    assert page.status_code == 200 and "Exported Bio" in page.content.decode()
    today = timezone.localdate().isoformat()
    with caplog.at_level(logging.WARNING, logger="sourcewise.security"):
        export = am_client.get(
            reverse("admin:audit_trail"),
            {"model": "engagements.Sponsor", "since": today, "until": today, "format": "csv"},
        )
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert {row["event"] for row in rows} >= {"created", "changed"}
    assert any("status: 'prospect' → 'client'" in row["changes"] for row in rows)
    assert any(record.getMessage() == "audit_export" for record in caplog.records)


def test_the_trail_is_refused_to_non_staff(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("admin:audit_trail"))["Location"].startswith("/admin/login/")


def test_every_model_the_issue_names_is_tracked():
    from pghistory.core import event_models

    tracked = {m.pgh_tracked_model for m in event_models()}
    assert {
        Sponsor,
        Contact,
        Engagement,
        FollowUp,
        Provider,
        Capability,
        Questionnaire,
        Assessment,
        Answer,
        Recommendation,
        Report,
        ApiKey,
    } <= tracked
