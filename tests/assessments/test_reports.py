"""PDF reports: one job per request, a real PDF with the recommendation in it, private downloads."""

import hashlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments import reports
from assessments.models import Report, ReportStatus
from core import outbox
from core.errors import Conflict
from tests.assessments.reference import EMERGING_BIOTECH_NO_INFRASTRUCTURE
from tests.factories import (
    AssessmentFactory,
    CapabilityFactory,
    MembershipFactory,
    ProviderFactory,
    SponsorFactory,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment():
    CapabilityFactory(
        provider=ProviderFactory(name="Meridian Global Trials", engagement_models=["full_service"])
    )
    return submitted_assessment(answers=EMERGING_BIOTECH_NO_INFRASTRUCTURE)


def _pdf_text(report: Report) -> str:
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_requesting_twice_while_pending_starts_one_job(assessment):
    first = reports.request_report(assessment=assessment)
    second = reports.request_report(assessment=assessment)
    assert first == second
    assert Report.objects.count() == 1
    assert first.status == ReportStatus.PENDING


def test_a_report_needs_a_recommendation():
    with pytest.raises(Conflict):
        reports.request_report(assessment=AssessmentFactory())


def test_generated_pdf_holds_the_recommendation_and_the_top_provider(assessment):
    report = reports.request_report(assessment=assessment)
    assert reports.generate(report.pk, worker_token="t1") == ReportStatus.READY
    report.refresh_from_db()
    text = _pdf_text(report)
    assert "Recommended model: Full-service CRO" in text
    assert "Meridian Global Trials" in text
    assert assessment.sponsor.name in text
    assert "Per-function delivery plan" in text and "AI readiness" in text
    with report.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == report.checksum
    assert report.pages >= 3 and report.size > 10_000


def test_a_ready_report_is_reused_unless_forced(assessment):
    report = reports.request_report(assessment=assessment)
    reports.generate(report.pk, worker_token="t1")
    assert reports.request_report(assessment=assessment) == report
    assert reports.request_report(assessment=assessment, force=True) != report


def test_a_second_worker_does_not_generate_the_same_report(assessment):
    report = reports.request_report(assessment=assessment)
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, worker_task="other")
    assert reports.generate(report.pk, worker_token="me") == "skipped"


def test_a_failed_render_is_recorded_with_its_reason(assessment, monkeypatch):
    monkeypatch.setattr(
        reports, "render_pdf", lambda report: (_ for _ in ()).throw(RuntimeError("fonts missing"))
    )
    report = reports.request_report(assessment=assessment)
    assert reports.generate(report.pk, worker_token="t1") == ReportStatus.FAILED
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.failure_reason == reports.FAILED_ERROR  # words for people; the error is in the log
    assert (
        reports.request_report(assessment=assessment) != report
    )  # a failed one does not block a new request


def test_rendering_refuses_to_fetch_anything_from_the_network():
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    html = '<img src="https://example.com/logo.png"><p>hi</p>'
    with pytest.raises(FatalURLFetchingError):
        HTML(string=html, url_fetcher=reports.OfflineURLFetcher()).write_pdf()


def test_only_the_sponsors_members_download_it(assessment, client):
    report = reports.request_report(assessment=assessment)
    reports.generate(report.pk, worker_token="t1")
    url = reverse("portal:report_download", args=[report.pk])
    member = MembershipFactory(sponsor=assessment.sponsor).user
    outsider = MembershipFactory(sponsor=SponsorFactory()).user
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="sourcewise-')
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_staff_download_from_the_admin(assessment, am_client):
    report = reports.request_report(assessment=assessment)
    reports.generate(report.pk, worker_token="t1")
    response = am_client.get(reverse("admin:assessments_report_download", args=[report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_there_is_no_public_media_url(assessment, client):
    report = reports.request_report(assessment=assessment)
    reports.generate(report.pk, worker_token="t1")
    report.refresh_from_db()
    assert client.get(f"/media/{report.file.name}").status_code == 404


def test_api_request_and_download(assessment):
    from tests.factories import api_client, api_key

    client = api_client(api_key(sponsor=assessment.sponsor)[1])
    created = client.post(f"/api/v1/assessments/{assessment.pk}/report/", {}, format="json")
    assert created.status_code == 202
    again = client.post(f"/api/v1/assessments/{assessment.pk}/report/", {}, format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    reports.generate(created.json()["id"], worker_token="t1")
    detail = client.get(f"/api/v1/reports/{created.json()['id']}/").json()
    assert detail["status"] == "ready" and detail["download_url"].endswith("/download/")
    pdf = client.get(f"/api/v1/reports/{created.json()['id']}/download/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    other = api_client(api_key(sponsor=SponsorFactory())[1])
    assert other.get(f"/api/v1/reports/{created.json()['id']}/download/").status_code == 404


# --- jobs that overrun their time limits (the worker side is in tests/integration/test_faults.py)


def _running_since(report, started_at, *, attempts=1, token="dead-worker"):
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, worker_task=token, started_at=started_at, attempts=attempts
    )


def test_a_job_running_past_its_hard_limit_gets_another_attempt_from_the_sweep(
    assessment, django_capture_on_commit_callbacks
):
    report = reports.request_report(assessment=assessment)
    _running_since(report, timezone.now() - reports.STALE_AFTER - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):  # tasks run inline here
        assert reports.requeue_stale() == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    assert report.attempts == 2


def test_a_job_still_within_its_limit_is_left_alone(assessment):
    report = reports.request_report(assessment=assessment)
    _running_since(report, timezone.now() - reports.STALE_AFTER + timedelta(seconds=5))
    assert reports.requeue_stale() == 0
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING


def test_after_the_last_attempt_overruns_the_job_fails_in_words(assessment):
    report = reports.request_report(assessment=assessment)
    _running_since(report, timezone.now() - reports.STALE_AFTER - timedelta(seconds=1), attempts=3)
    assert reports.requeue_stale() == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.failure_reason == (
        "The report could not be produced: preparing it took too long, 3 times in a row. "
        "Please request it again later; if it fails again, contact your account manager."
    )
    assert report.finished_at is not None


def test_the_sweep_keeps_to_the_attempt_cap(assessment, django_capture_on_commit_callbacks):
    report = reports.request_report(assessment=assessment)
    for attempt in (1, 2, 3):
        _running_since(report, timezone.now() - reports.STALE_AFTER - timedelta(seconds=1), attempts=attempt)
        reports.requeue_stale()
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED  # not retried forever


def test_asking_again_for_a_stuck_job_does_not_return_the_stuck_job(assessment):
    report = reports.request_report(assessment=assessment)
    _running_since(report, timezone.now() - reports.STALE_AFTER - timedelta(seconds=1), attempts=3)
    again = reports.request_report(assessment=assessment)
    assert again.pk != report.pk and again.status == ReportStatus.PENDING
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED


def test_the_worker_that_overran_gives_the_job_back_for_another_attempt(assessment):
    report = reports.request_report(assessment=assessment)
    _running_since(report, timezone.now(), token="task-1")
    assert reports.overran(report.pk, worker_token="task-1") == ReportStatus.PENDING
    assert reports.overran(report.pk, worker_token="task-1") == "skipped"  # only once
    report.refresh_from_db()
    assert (report.status, report.worker_task) == (ReportStatus.PENDING, "")


def test_a_pending_job_whose_message_was_lost_is_queued_again(assessment):
    from core.models import OutboxMessage

    reports.request_report(assessment=assessment)
    assert reports.requeue_stale() == 0
    with time_machine.travel(timezone.now() + outbox.LOST_AFTER + timedelta(seconds=1)):
        assert reports.requeue_stale() == 1
    assert OutboxMessage.objects.filter(task="assessments.tasks.generate_report").count() == 2
