import pytest
from django.contrib import admin
from django.urls import reverse

from engagements.models import Engagement, FollowUpStatus, Stage, StageTransition
from tests.factories import (
    ActivityFactory,
    CapabilityFactory,
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    MembershipFactory,
    SponsorCapabilityFactory,
    UserFactory,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated(account_manager):
    engagement = EngagementFactory(sponsor__owner=account_manager, owner=account_manager)
    ActivityFactory(engagement=engagement)
    FollowUpFactory(engagement=engagement, assignee=account_manager)
    ContactFactory(sponsor=engagement.sponsor)
    MembershipFactory(sponsor=engagement.sponsor)
    SponsorCapabilityFactory(sponsor=engagement.sponsor)
    CapabilityFactory()
    StageTransition.objects.create(engagement=engagement, from_stage="", to_stage="lead")
    submitted_assessment(sponsor=engagement.sponsor, engagement=engagement)
    return engagement


def _registered_models():
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label in {"core", "providers", "engagements", "assessments"}
    ]


def test_admin_index_shows_my_work(am_client, populated):
    response = am_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"My follow-ups" in response.content
    assert b"Send revised budget" in response.content
    assert b"My open pipeline" in response.content


@pytest.mark.parametrize("model", _registered_models(), ids=lambda m: m._meta.label)
def test_every_changelist_and_change_page_renders_for_staff(superuser, client, populated, model):
    client.force_login(superuser)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:engagements_engagement_add",
        "admin:engagements_sponsor_add",
        "admin:providers_provider_add",
    ],
)
def test_add_pages_render_for_account_managers(am_client, url_name):
    assert am_client.get(reverse(url_name)).status_code == 200


def test_non_staff_user_is_sent_to_the_login_page(client, populated):
    client.force_login(UserFactory())
    for url in [reverse("admin:index"), reverse("admin:engagements_engagement_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("admin:engagements_sponsor_changelist"))
    assert response.status_code == 302


def _engagement_post_data(engagement, **overrides):
    data = {
        "sponsor": engagement.sponsor_id,
        "name": engagement.name,
        "owner": engagement.owner_id,
        "description": "",
        "stage": engagement.stage,
        "value": "1000",
        "currency": "EUR",
        "probability": "10",
        "outsourcing_model": "",
        "phase": "",
        "therapeutic_area": "",
        "provider_links-TOTAL_FORMS": "0",
        "provider_links-INITIAL_FORMS": "0",
        "activities-TOTAL_FORMS": "0",
        "activities-INITIAL_FORMS": "0",
        "follow_ups-TOTAL_FORMS": "0",
        "follow_ups-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_change_form_refuses_an_invalid_stage_jump(am_client, account_manager):
    engagement = EngagementFactory(stage=Stage.LEAD, owner=account_manager)
    url = reverse("admin:engagements_engagement_change", args=[engagement.pk])
    response = am_client.post(url, _engagement_post_data(engagement, stage=Stage.WON, name="Renamed"))
    assert response.status_code == 200
    assert "cannot move to Won" in response.content.decode()
    engagement.refresh_from_db()
    assert (engagement.stage, engagement.name) == (Stage.LEAD, engagement.name)
    assert not StageTransition.objects.filter(engagement=engagement).exists()


def test_change_form_records_an_allowed_stage_move(am_client, account_manager):
    engagement = EngagementFactory(stage=Stage.LEAD, owner=account_manager)
    url = reverse("admin:engagements_engagement_change", args=[engagement.pk])
    response = am_client.post(
        url,
        _engagement_post_data(engagement, stage=Stage.QUALIFICATION, change_reason="Qualified on the call"),
    )
    assert response.status_code == 302
    transition = StageTransition.objects.get(engagement=engagement)
    assert (transition.to_stage, transition.by) == (Stage.QUALIFICATION, account_manager)


def test_adding_an_engagement_opens_its_stage_history(am_client, account_manager):
    sponsor = EngagementFactory(owner=account_manager).sponsor
    data = _engagement_post_data(Engagement(sponsor=sponsor, owner=account_manager, name="New study"))
    response = am_client.post(reverse("admin:engagements_engagement_add"), data)
    assert response.status_code == 302
    created = Engagement.objects.get(name="New study")
    assert list(created.transitions.values_list("to_stage", flat=True)) == [Stage.LEAD]


def test_advance_action_moves_the_selected_engagements(am_client, account_manager):
    engagements = EngagementFactory.create_batch(2, stage=Stage.LEAD, owner=account_manager)
    response = am_client.post(
        reverse("admin:engagements_engagement_changelist"),
        {"action": "advance_to_next_stage", "_selected_action": [e.pk for e in engagements]},
        follow=True,
    )
    assert "Moved 2 engagement(s)" in response.content.decode()
    assert set(Engagement.objects.values_list("stage", flat=True)) == {Stage.QUALIFICATION}


def test_advance_action_refuses_a_closed_engagement_and_moves_none(am_client, account_manager):
    movable = EngagementFactory(stage=Stage.LEAD, owner=account_manager)
    closed = EngagementFactory(stage=Stage.COMPLETED, owner=account_manager, name="Finished trial")
    response = am_client.post(
        reverse("admin:engagements_engagement_changelist"),
        {"action": "advance_to_next_stage", "_selected_action": [movable.pk, closed.pk]},
        follow=True,
    )
    assert "No engagement was moved" in response.content.decode()
    movable.refresh_from_db()
    assert movable.stage == Stage.LEAD


def test_mark_done_action(am_client, account_manager):
    follow_up = FollowUpFactory(assignee=account_manager)
    am_client.post(
        reverse("admin:engagements_followup_changelist"),
        {"action": "mark_done", "_selected_action": [follow_up.pk]},
    )
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.completed_at is not None


def test_my_follow_ups_filter_shows_only_mine(am_client, account_manager):
    FollowUpFactory(assignee=account_manager, title="Mine to do")
    FollowUpFactory(title="Someone else's")
    response = am_client.get(reverse("admin:engagements_followup_changelist") + "?mine=1")
    content = response.content.decode()
    assert "Mine to do" in content
    assert "Someone else&#x27;s" not in content and "Someone else's" not in content


def test_capability_with_out_of_range_depth_is_refused_in_the_admin(am_client):
    capability = CapabilityFactory()
    url = reverse("admin:providers_capability_change", args=[capability.pk])
    response = am_client.post(
        url,
        {
            "provider": capability.provider_id,
            "function": capability.function_id,
            "depth": 7,
            "capacity_fte": 3,
        },
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 5" in response.content.decode()
    capability.refresh_from_db()
    assert capability.depth == 4


def test_duplicate_catalog_code_is_refused_in_the_admin(am_client, superuser, client):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:providers_region_add"),
        {"code": "europe", "name": "Europe (dup)", "position": 9},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_history_records_who_changed_an_engagement(am_client, account_manager):
    engagement = EngagementFactory(stage=Stage.LEAD, owner=account_manager)
    am_client.post(
        reverse("admin:engagements_engagement_change", args=[engagement.pk]),
        _engagement_post_data(engagement, name="Renamed study", change_reason="The sponsor renamed it"),
    )
    latest = engagement.history.latest()
    assert latest.name == "Renamed study"
    assert latest.history_user == account_manager
    response = am_client.get(reverse("admin:engagements_engagement_history", args=[engagement.pk]))
    assert response.status_code == 200
