"""Engagement tasks for Celery beat: thin wrappers around engagements.automation."""

from celery import shared_task

from engagements import automation


@shared_task(name="engagements.tasks.flag_idle_engagements")
def flag_idle_engagements() -> int:
    return automation.flag_idle_engagements()


@shared_task(name="engagements.tasks.remind_due_follow_ups")
def remind_due_follow_ups() -> int:
    return automation.remind_due_follow_ups()
