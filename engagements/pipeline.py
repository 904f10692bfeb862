"""The engagement pipeline: which stage may follow which. The one place these rules live."""

from engagements.models import Stage

OPEN_STAGES = (Stage.LEAD, Stage.QUALIFICATION, Stage.ASSESSMENT, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSED_STAGES = (Stage.COMPLETED, Stage.LOST)

ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Stage.LEAD: (Stage.QUALIFICATION, Stage.LOST),
    Stage.QUALIFICATION: (Stage.ASSESSMENT, Stage.LEAD, Stage.LOST),
    Stage.ASSESSMENT: (Stage.PROPOSAL, Stage.QUALIFICATION, Stage.LOST),
    Stage.PROPOSAL: (Stage.NEGOTIATION, Stage.ASSESSMENT, Stage.LOST),
    Stage.NEGOTIATION: (Stage.WON, Stage.PROPOSAL, Stage.LOST),
    Stage.WON: (Stage.ACTIVE, Stage.LOST),
    Stage.ACTIVE: (Stage.COMPLETED,),
    Stage.COMPLETED: (),
    Stage.LOST: (Stage.LEAD,),  # a lost deal can be reopened as a new lead
}

NEXT_STAGE: dict[str, str] = {
    Stage.LEAD: Stage.QUALIFICATION,
    Stage.QUALIFICATION: Stage.ASSESSMENT,
    Stage.ASSESSMENT: Stage.PROPOSAL,
    Stage.PROPOSAL: Stage.NEGOTIATION,
    Stage.NEGOTIATION: Stage.WON,
    Stage.WON: Stage.ACTIVE,
    Stage.ACTIVE: Stage.COMPLETED,
}


def allowed_next_stages(stage: str) -> tuple[str, ...]:
    return ALLOWED_TRANSITIONS.get(stage, ())


def transition_error(from_stage: str, to_stage: str) -> str | None:
    """Why an engagement cannot move from one stage to another, or None when it can."""
    if to_stage not in Stage.values:
        return f"“{to_stage}” is not a pipeline stage."
    if from_stage == to_stage:
        return f"The engagement is already in {Stage(to_stage).label}."
    allowed = allowed_next_stages(from_stage)
    if to_stage not in allowed:
        options = ", ".join(Stage(s).label for s in allowed) or "none (it is closed)"
        return (
            f"An engagement in {Stage(from_stage).label} cannot move to {Stage(to_stage).label}; "
            f"allowed next stages: {options}."
        )
    return None
