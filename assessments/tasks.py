"""Assessment tasks: follow-up rules, digests and report generation. Thin, idempotent."""

from celery import Task, shared_task
from celery.exceptions import TimeLimitExceeded
from django.conf import settings

from assessments import automation, reports, services


@shared_task(name="assessments.tasks.run_assessment_rules")
def run_assessment_rules() -> dict[str, int]:
    return {
        "unsubmitted": automation.remind_unsubmitted_assessments(),
        "unreviewed": automation.remind_unreviewed_assessments(),
    }


@shared_task(name="assessments.tasks.send_weekly_digests")
def send_weekly_digests() -> int:
    return automation.send_weekly_digests()


class ReportTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # At the hard time limit the worker kills the process and calls this in its main process:
        # the job gets its next attempt (or fails) now, not when the sweep finds it.
        if isinstance(exc, TimeLimitExceeded) and args:
            reports.overran(args[0], worker_token=task_id)


@shared_task(
    name="assessments.tasks.generate_report",
    base=ReportTask,
    bind=True,
    acks_late=True,
    soft_time_limit=settings.REPORT_SOFT_TIME_LIMIT or None,
    time_limit=settings.REPORT_TIME_LIMIT,
)
def generate_report(self, report_id: str) -> str:
    # The task id survives redelivery after a worker dies, so the same message may resume its claim.
    return reports.generate(report_id, worker_token=self.request.id or "inline")


@shared_task(name="assessments.tasks.requeue_stale_reports")
def requeue_stale_reports() -> int:
    return reports.requeue_stale()


@shared_task(name="assessments.tasks.rescore_assessments", acks_late=True)
def rescore_assessments(assessment_ids: list[str]) -> list[int]:
    """Recompute a batch of recommendations (an engine upgrade is rolled out in batches)."""
    return list(services.rescore_assessments(assessment_ids=assessment_ids))
