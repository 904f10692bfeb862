"""Every record that carries regulated content or access is in the audit trail, with old and new
values: people and their privileges, groups, memberships, many-to-many links, activities, stage
history, webhook endpoints, authenticators (never their secrets), automation settings, catalogs
and beat schedules."""

import pytest
from django.contrib.auth.models import Group, Permission
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_otp.plugins.otp_totp.models import TOTPDevice
from pghistory.core import event_models

from core import audit
from core.models import User, WebhookEndpoint
from engagements import services as engagement_services
from engagements.models import AutomationPolicy, StageLimit
from providers.models import ClinicalFunction, Region
from tests.factories import (
    ActivityFactory,
    EngagementFactory,
    MembershipFactory,
    ProviderFactory,
    SponsorFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _events(model):
    return audit.rows(audit.events(model=model, limit=500))


def _tracked_tables() -> set[str]:
    return {m.pgh_tracked_model._meta.db_table for m in event_models()}


def test_every_named_kind_of_record_is_tracked():
    from engagements.models import (
        Activity,
        Engagement,
        EngagementProvider,
        Sponsor,
        SponsorMembership,
        StageTransition,
    )
    from providers.models import AICapability, Provider, TherapeuticArea

    tables = _tracked_tables()
    for model in [
        User,
        Group,
        Group.permissions.through,
        User.groups.through,
        User.user_permissions.through,
        SponsorMembership,
        Sponsor.therapeutic_areas.through,
        Sponsor.regions.through,
        Engagement.functions.through,
        Engagement.regions.through,
        EngagementProvider,
        Activity,
        StageTransition,
        WebhookEndpoint,
        TOTPDevice,
        AutomationPolicy,
        StageLimit,
        ClinicalFunction,
        TherapeuticArea,
        Region,
        AICapability,
        Provider.regions.through,
        PeriodicTask,
        CrontabSchedule,
        IntervalSchedule,
    ]:
        assert model._meta.db_table in tables, model


def test_privilege_changes_are_recorded_without_the_password():
    person = UserFactory()
    person.is_staff = True
    person.is_superuser = True
    person.set_password("a-new-password-123")
    person.save()
    rows = audit.rows(audit.events(obj=person))
    assert rows[0]["changes"]["is_superuser"] == [False, True]
    assert rows[0]["changes"]["is_staff"] == [False, True]
    assert "password" not in str(rows) and "argon" not in str(rows).lower() and "md5$" not in str(rows)


def test_group_membership_and_permissions_are_recorded():
    from core.models import AuditedGroupPermission, AuditedUserGroup, AuditedUserPermission

    person = UserFactory()
    group = Group.objects.create(name="Quality")
    person.groups.add(group)
    group.permissions.add(Permission.objects.get(codename="view_signature"))
    person.user_permissions.add(Permission.objects.get(codename="view_sponsor"))
    person.groups.remove(group)
    assert [r["event"] for r in reversed(_events(AuditedUserGroup))][-2:] == ["created", "deleted"]
    assert _events(AuditedGroupPermission)[0]["event"] == "created"
    assert _events(AuditedUserPermission)[0]["event"] == "created"


def test_many_to_many_links_are_recorded():
    sponsor = SponsorFactory()
    engagement = EngagementFactory(sponsor=sponsor)
    provider = ProviderFactory()
    sponsor.regions.set(["europe", "north_america"])
    sponsor.therapeutic_areas.set(["oncology"])
    engagement.functions.set(["biostatistics"])
    engagement.regions.set(["europe"])
    provider.regions.set(["asia_pacific"])
    sponsor.regions.remove("europe")
    events = _events(Region._meta.get_field("sponsors").related_model.regions.through)
    assert {(e["event"], e["changes"]["region_id"]) for e in events} >= {
        ("created", "europe"),
        ("deleted", "europe"),
    }
    assert _events(ClinicalFunction._meta.get_field("engagements").related_model.functions.through)


def test_activity_text_and_stage_history_are_recorded(account_manager):
    from engagements.models import Activity, StageTransition

    activity = ActivityFactory(body="Agreed the budget range")
    Activity.objects.filter(pk=activity.pk).update(body="Agreed the budget range (corrected)")
    (change,) = [r for r in _events(Activity) if r["event"] == "changed"]
    assert change["changes"]["body"] == ["Agreed the budget range", "Agreed the budget range (corrected)"]
    engagement = EngagementFactory(owner=account_manager)
    engagement_services.advance_stage(engagement=engagement, to_stage="qualification", by=account_manager)
    assert any(r["changes"].get("to_stage") == "qualification" for r in _events(StageTransition))


def test_webhook_endpoints_are_recorded_without_their_secret():
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.org/in", events=["report.ready"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="https://hooks.example.org/v2")
    rows = _events(WebhookEndpoint)
    assert rows[0]["changes"]["url"] == ["https://hooks.example.org/in", "https://hooks.example.org/v2"]
    assert endpoint.secret not in str(rows)


def test_authenticators_are_recorded_without_their_key():
    from core.models import AuditedTOTPDevice

    device = TOTPDevice.objects.create(user=UserFactory(), name="phone", confirmed=False)
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    rows = _events(AuditedTOTPDevice)
    assert rows[0]["changes"]["confirmed"] == [False, True]
    assert device.key not in str(rows)


def test_automation_settings_catalogs_and_beat_schedules_are_recorded():
    from core.models import AuditedPeriodicTask

    policy = AutomationPolicy.current()
    AutomationPolicy.objects.filter(pk=policy.pk).update(assessment_reminder_days=9)
    StageLimit.objects.update_or_create(policy=policy, stage="proposal", defaults={"days": 12})
    ClinicalFunction.objects.filter(code="biostatistics").update(name="Biostatistics and analysis")
    schedule = IntervalSchedule.objects.create(every=5, period="minutes")
    task = PeriodicTask.objects.create(name="Audit me", task="core.tasks.heartbeat", interval=schedule)
    PeriodicTask.objects.filter(pk=task.pk).update(enabled=False)
    PeriodicTask.objects.filter(pk=task.pk).update(total_run_count=5)  # a run, not a change
    # Rows that existed when tracking began have a baseline event: the first change shows old values.
    assert _events(AutomationPolicy)[0]["changes"]["assessment_reminder_days"] == [5, 9]
    assert _events(StageLimit)
    assert _events(ClinicalFunction)[0]["changes"]["name"][1] == "Biostatistics and analysis"
    task_events = _events(AuditedPeriodicTask)
    assert [r["event"] for r in task_events][:2] == ["changed", "created"]
    assert task_events[0]["changes"]["enabled"] == [True, False]


def test_portal_memberships_are_recorded():
    from engagements.models import SponsorMembership

    membership = MembershipFactory(role="viewer")
    SponsorMembership.objects.filter(pk=membership.pk).update(role="admin")
    assert _events(SponsorMembership)[0]["changes"]["role"] == ["viewer", "admin"]
