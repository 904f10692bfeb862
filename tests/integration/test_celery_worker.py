"""Celery for real: a worker process, Redis, PostgreSQL. Exactly-once reminders, real PDFs,
a killed worker, and a broker outage at save time."""

import io
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from assessments import reports
from assessments.models import Report, ReportStatus
from core import outbox
from core.models import Notification, NotificationStatus, OutboxMessage
from engagements import automation
from tests.assessments.reference import EMERGING_BIOTECH_NO_INFRASTRUCTURE
from tests.factories import CapabilityFactory, FollowUpFactory, ProviderFactory, submitted_assessment
from tests.integration.conftest import ROOT, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]
# Messages a dead worker held come back after the visibility timeout: keep it short here.
QUICK_RESTORE = {
    "CELERY_VISIBILITY_TIMEOUT": "6",
    "CELERY_UNACKED_RESTORE_INTERVAL": "2",
    "CELERY_UNACKED_RESTORE_THROTTLE": "1",
}


def _pdf_text(report: Report) -> str:
    with report.file.open("rb") as handle:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


@pytest.fixture
def submitted():
    CapabilityFactory(
        provider=ProviderFactory(name="Meridian Global Trials", engagement_models=["full_service"])
    )
    return submitted_assessment(answers=EMERGING_BIOTECH_NO_INFRASTRUCTURE)


def _in_own_connection(function):
    """Run in a thread, giving back the thread's database connection after (or it outlives the
    test and holds the test database open when pytest-django drops it)."""
    try:
        function()
    finally:
        connection.close()


def test_a_due_follow_up_sends_exactly_one_email_when_the_task_runs_twice_at_once(celery_worker):
    from engagements.tasks import remind_due_follow_ups

    follow_up = FollowUpFactory(due_at=timezone.now() - timedelta(minutes=1), title="Chase the signed CDA")
    # Two beat ticks at once on the worker (concurrency 2), and a third run from here.
    results = [remind_due_follow_ups.apply_async(), remind_due_follow_ups.apply_async()]
    local = threading.Thread(target=_in_own_connection, args=(automation.remind_due_follow_ups,))
    local.start()
    local.join()
    counts = [r.get(timeout=60) for r in results]
    assert sum(counts) <= 1  # the local run may have won the claim
    notification = wait_for(
        lambda: Notification.objects.filter(status=NotificationStatus.SENT).first(),
        message="the e-mail to be sent",
    )
    assert notification.to == follow_up.assignee.email
    mails = wait_for(celery_worker.mails, message="the e-mail file")
    assert len(mails) == 1
    assert "Chase the signed CDA" in mails[0]
    assert Notification.objects.count() == 1


def test_a_report_request_produces_a_real_pdf(celery_worker, submitted):
    report = reports.request_report(assessment=submitted)
    report = wait_for(
        lambda: Report.objects.filter(
            pk=report.pk, status__in=[ReportStatus.READY, ReportStatus.FAILED]
        ).first(),
        message="the report",
    )
    assert report.status == ReportStatus.READY, report.failure_reason
    text = _pdf_text(report)
    assert "Recommended model: Full-service CRO" in text
    assert "Meridian Global Trials" in text


@pytest.mark.parametrize("what", ["pool process", "whole worker"])
def test_a_killed_worker_neither_loses_nor_duplicates_the_report(celery_worker, submitted, what):
    if what == "whole worker":
        celery_worker.stop()
        celery_worker.start(extra_env=QUICK_RESTORE)
    report = reports.request_report(assessment=submitted)
    wait_for(
        lambda: Report.objects.filter(pk=report.pk, status=ReportStatus.RUNNING).exists(),
        interval=0.02,
        message="the report to start",
    )
    if what == "pool process":
        for pid in celery_worker.children():
            os.kill(pid, 9)  # the pool replaces them; the message goes back to the queue
    else:
        celery_worker.kill()
        celery_worker.start(extra_env=QUICK_RESTORE)
    report = wait_for(
        lambda: Report.objects.filter(pk=report.pk, status=ReportStatus.READY).first(),
        timeout=90,
        message="the report after the crash",
    )
    assert Report.objects.filter(assessment=submitted).count() == 1
    files = list(Path(report.file.path).parent.glob(f"{report.pk}*.pdf"))
    assert len(files) == 1, files  # no second, orphaned PDF
    assert "Recommended model" in _pdf_text(report)


def test_a_broker_outage_at_save_time_loses_nothing(celery_worker, submitted):
    db = connection.settings_dict
    code = (
        "from assessments import reports; from assessments.models import Assessment; "
        f"reports.request_report(assessment=Assessment.objects.get(pk='{submitted.pk}'))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL": "False",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens there: the broker is "down"
        "SOURCEWISE_VAR_DIR": celery_worker.env["SOURCEWISE_VAR_DIR"],
    }
    saved = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert saved.returncode == 0, saved.stderr[-2000:]
    report = Report.objects.get(assessment=submitted)
    assert report.status == ReportStatus.PENDING
    waiting = OutboxMessage.objects.get(dispatched_at__isnull=True, task="assessments.tasks.generate_report")
    assert "Connection refused" in waiting.last_error or "Error" in waiting.last_error
    # The broker is back (this process talks to the real one): the beat's drain sends it on.
    assert outbox.drain(older_than=timedelta(0)) == 1
    wait_for(
        lambda: Report.objects.filter(pk=report.pk, status=ReportStatus.READY).exists(), message="the report"
    )
