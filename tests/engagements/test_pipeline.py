import pytest

from core.errors import ApplicationError
from engagements import services
from engagements.models import Stage, StageTransition
from engagements.pipeline import ALLOWED_TRANSITIONS, transition_error
from engagements.selectors import stage_history
from tests.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def test_every_stage_has_a_rule():
    assert set(ALLOWED_TRANSITIONS) == set(Stage.values)


def test_forward_move_is_recorded_with_who_and_when(account_manager):
    engagement = EngagementFactory(stage=Stage.LEAD)
    services.advance_stage(engagement=engagement, to_stage=Stage.QUALIFICATION, by=account_manager)
    engagement.refresh_from_db()
    assert engagement.stage == Stage.QUALIFICATION
    transition = StageTransition.objects.get(engagement=engagement)
    assert (transition.from_stage, transition.to_stage, transition.by) == (
        Stage.LEAD,
        Stage.QUALIFICATION,
        account_manager,
    )
    assert engagement.stage_entered_at == transition.at


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    [
        (Stage.LEAD, Stage.WON),
        (Stage.LEAD, Stage.ACTIVE),
        (Stage.COMPLETED, Stage.ACTIVE),
        (Stage.ACTIVE, Stage.LOST),
        (Stage.PROPOSAL, Stage.PROPOSAL),
    ],
)
def test_refused_transition_changes_nothing(from_stage, to_stage, account_manager):
    engagement = EngagementFactory(stage=from_stage)
    with pytest.raises(ApplicationError) as error:
        services.advance_stage(engagement=engagement, to_stage=to_stage, by=account_manager)
    assert Stage(from_stage).label in error.value.message
    engagement.refresh_from_db()
    assert engagement.stage == from_stage
    assert not StageTransition.objects.filter(engagement=engagement).exists()


def test_unknown_stage_is_named_in_the_error():
    assert "“signed” is not a pipeline stage" in transition_error(Stage.LEAD, "signed")


def test_any_open_stage_can_be_lost_and_a_lost_deal_reopened(account_manager):
    engagement = EngagementFactory(stage=Stage.NEGOTIATION)
    services.advance_stage(engagement=engagement, to_stage=Stage.LOST, by=account_manager)
    services.advance_stage(engagement=engagement, to_stage=Stage.LEAD, by=account_manager)
    assert engagement.stage == Stage.LEAD


def test_bulk_advance_is_all_or_nothing(account_manager):
    movable = EngagementFactory(stage=Stage.LEAD)
    closed = EngagementFactory(stage=Stage.COMPLETED, name="Closed study")
    with pytest.raises(ApplicationError) as error:
        services.advance_to_next_stage(engagements=[movable, closed], by=account_manager)
    assert "Closed study" in error.value.message
    movable.refresh_from_db()
    assert movable.stage == Stage.LEAD


def test_stage_history_shows_time_in_each_stage(account_manager):
    engagement = EngagementFactory(stage=Stage.LEAD)
    services.record_initial_stage(engagement=engagement, by=account_manager)
    services.advance_stage(engagement=engagement, to_stage=Stage.QUALIFICATION, by=account_manager)
    stays = stage_history(engagement)
    assert [s.stage for s in stays] == [Stage.LEAD, Stage.QUALIFICATION]
    assert stays[0].left_at == stays[1].entered_at
    assert stays[1].left_at is None
