import pytest
from django.core.management import call_command
from django.db.models import F

from core.models import User
from engagements.models import Contact, Engagement, FollowUp, Sponsor, SponsorProfile, Stage
from providers.models import Provider, ProviderKind

pytestmark = pytest.mark.django_db


def test_demo_data_covers_every_profile_kind_and_stage(capsys):
    call_command("load_demo_data")
    assert set(Sponsor.objects.values_list("profile", flat=True)) == set(SponsorProfile.values)
    assert set(Provider.objects.values_list("kind", flat=True)) == set(ProviderKind.values)
    assert Sponsor.objects.count() >= 24
    stages = set(Engagement.objects.values_list("stage", flat=True))
    assert len(stages) >= 7
    assert FollowUp.objects.exists()
    assert all(p.capabilities.exists() for p in Provider.objects.prefetch_related("capabilities"))
    out = capsys.readouterr().out
    assert "admin@sourcewise.local" in out
    assert "sourcewise-demo" in out


def test_demo_logins_work_and_members_are_not_staff():
    call_command("load_demo_data")
    manager = User.objects.get(email="maya.lindqvist@sourcewise.local")
    assert manager.is_staff and manager.check_password("sourcewise-demo")
    assert manager.groups.filter(name="Account managers").exists()
    members = User.objects.filter(memberships__isnull=False)
    assert members.exists()
    assert not members.filter(is_staff=True).exists()


def test_demo_data_is_not_duplicated_on_a_second_run():
    call_command("load_demo_data")
    counts = (Sponsor.objects.count(), Engagement.objects.count())
    call_command("load_demo_data")
    assert (Sponsor.objects.count(), Engagement.objects.count()) == counts


def test_stage_history_of_demo_engagements_ends_in_their_current_stage():
    call_command("load_demo_data")
    for engagement in Engagement.objects.filter(stage=Stage.ACTIVE).prefetch_related("transitions"):
        assert list(engagement.transitions.all())[-1].to_stage == Stage.ACTIVE


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # the load switches to the owner role, outside any transaction
def test_scale_option_generates_the_planned_volumes(capsys):
    from core.demo_scale import ScalePlan

    call_command("load_demo_data", scale=0.001)
    plan = ScalePlan.at(0.001)
    assert plan.engagements == 1000 and plan.activities == 3000
    demo = 36
    assert Sponsor.objects.count() == demo + plan.sponsors
    assert Engagement.objects.filter(name__contains=" study ").count() >= plan.engagements
    assert Provider.objects.filter(name__startswith="Scale provider").count() == plan.providers
    follow_ups = FollowUp.objects.filter(title__startswith="Follow-up ")
    assert follow_ups.count() == plan.follow_ups
    # Rows are written apart in time, as in use: lists are paged by creation time, and a page of
    # equal times would send the cursor back to counting rows (an OFFSET).
    assert follow_ups.values("created_at").distinct().count() > 0.95 * plan.follow_ups
    assert not follow_ups.filter(created_at__gt=F("due_at")).exists()
    contacts = Contact.objects.filter(email__endswith=".example")
    assert contacts.values("created_at").distinct().count() > 0.95 * contacts.count()
    # Generated engagements are consistent with the pipeline: each has one stage-history row.
    generated = Engagement.objects.filter(name__regex=r" study \d+$")
    assert generated.count() == plan.engagements
    assert all(e.transitions.count() == 1 for e in generated[:20])
    from assessments.models import Assessment, Recommendation

    generated_assessments = Assessment.objects.filter(title__regex=r"^Outsourcing model assessment \d+$")
    assert generated_assessments.count() == plan.assessments
    assert Recommendation.objects.filter(assessment__in=generated_assessments).count() == plan.assessments
    sample = Recommendation.objects.filter(assessment__in=generated_assessments).first()
    assert sample.drivers and sample.shortlist and sample.inputs["answers"]
    assert "engagements" in capsys.readouterr().out


def test_scale_must_be_positive():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo_data", scale=0)


@pytest.mark.postgres
@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # the load switches to the owner role, outside any transaction
def test_the_scale_load_writes_no_audit_events_and_leaves_the_audit_triggers_on():
    from django.db import connection

    from core.demo_scale import AUDIT_TRIGGERS_SQL
    from engagements.models import EngagementEvent

    call_command("load_demo_data", scale=0.0005)
    generated = Engagement.objects.filter(name__regex=r" study \d+$")
    assert generated.exists()
    assert not EngagementEvent.objects.filter(pgh_obj_id__in=generated.values("pk")).exists()
    with connection.cursor() as cursor:
        cursor.execute(AUDIT_TRIGGERS_SQL)
        triggers = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrigger%' AND tgenabled = 'D'")
        assert cursor.fetchone()[0] == 0
    assert len(triggers) >= 40  # insert/update/delete on every tracked table
    engagement = generated.first()
    engagement.name = "Renamed after the load"
    engagement.save()
    assert EngagementEvent.objects.filter(pgh_obj_id=engagement.pk, pgh_label="update").exists()
