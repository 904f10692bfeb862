"""The delivery plan: which functions go where, grouped for the shortlist. Pure Python.

Which functions are in the plan:
- the functions the sponsor listed in `functions_to_outsource` are outsourced;
- a function not listed stays in-house when the sponsor rates it limited or better, and is a *gap*
  to discuss when the sponsor rates it none: nobody was named to deliver it;
- questionnaire v1 did not ask which functions an entire-program hand-over covers; for those
  assessments every function is taken as part of the program, and each row says so.

Where an outsourced function goes follows the recommended model:
- a specialised function in a complex therapeutic area goes to a boutique specialist when the
  boutique fit reaches its threshold, whatever the model;
- full-service: the rest is one full-service bundle; FSP: the rest are FSP teams;
- hybrid: functions the sponsor can steer (limited capability or better) go to FSP teams, those
  with no in-house capability to a full-service partner. A hybrid must mix: when that rule gives
  every outsourced function the same delivery, the split falls where the answers differ — the
  weakest in-house functions to the full-service partner, or routine (non-specialised) work to
  the full-service partner and specialised work to FSP teams or boutiques, or, when every one went
  to boutiques, the one the sponsor is strongest in to an FSP team. When the answers do not tell
  the functions apart, one is split off (the first in catalogue order to the full-service partner,
  or the last to an FSP team) and its reason says so. The engine recommends hybrid only when at
  least two functions are outsourced, so a hybrid plan always mixes two outsourced delivery models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assessments.steps import MATRIX_LEVELS

if TYPE_CHECKING:
    from assessments.scoring import EngineConfig, FunctionSpec

OUTSOURCED = ("full_service", "fsp", "boutique")
GROUP_ORDER = (*OUTSOURCED, "in_house")
GROUP_LABELS = {
    "full_service": "Full-service bundle",
    "fsp": "FSP teams",
    "boutique": "Boutique specialists",
    "in_house": "In-house",
}
ENTIRE_PROGRAM = "entire_program"


@dataclass(frozen=True, slots=True)
class PlanItem:
    function: str
    function_name: str
    internal_level: int | None
    delivery: str  # in_house, fsp, full_service, boutique
    reason: str


@dataclass(frozen=True, slots=True)
class PlanGap:
    """A function nobody was named to deliver: not listed for outsourcing, no in-house capability."""

    function: str
    function_name: str
    internal_level: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class DeliveryGroup:
    delivery: str
    label: str
    functions: tuple[str, ...]
    function_names: tuple[str, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class Plan:
    items: tuple[PlanItem, ...]
    gaps: tuple[PlanGap, ...]
    groups: tuple[DeliveryGroup, ...]


def listed_functions(config: EngineConfig, answers: Mapping[str, Any]) -> tuple[frozenset[str], bool]:
    """The functions to outsource, and whether they were assumed (an entire program under a
    questionnaire that did not ask for the list) rather than listed by the sponsor."""
    question = config.question("functions_to_outsource")
    asked = question is not None and (
        question.show_if is None or question.show_if.holds(answers.get(question.show_if.question))
    )
    if not asked and answers.get("outsourcing_scope") == ENTIRE_PROGRAM:
        return frozenset(f.code for f in config.functions), True
    return frozenset(answers.get("functions_to_outsource") or ()), False


def hybrid_is_feasible(config: EngineConfig, answers: Mapping[str, Any]) -> bool:
    """A hybrid mixes delivery models across functions, so it needs two outsourced functions."""
    return len(listed_functions(config, answers)[0]) >= 2


def _level_text(level: int | None) -> str:
    if level is None:
        return "in-house capability not rated"
    if level == 0:
        return "no in-house capability"
    return f"{MATRIX_LEVELS[level]} in-house capability"


def _first_delivery(
    model: str, function: FunctionSpec, level: int | None, complexity: int, boutique_ok: bool
) -> tuple[str, str]:
    text = _level_text(level)
    if function.specialised and boutique_ok:
        return "boutique", (
            f"A specialised function in a complex therapeutic area (complexity {complexity} of 5), with "
            f"{text}: a boutique specialist's depth and senior attention pay off here."
        )
    if model == "full_service":
        return "full_service", f"Outsourced with {text}; one full-service partner runs it end to end."
    if model == "fsp":
        if level:
            return "fsp", f"Outsourced with {text}; a dedicated FSP team works under your own governance."
        return "fsp", (
            f"Outsourced with {text}; a dedicated FSP team works under your governance, so plan who on "
            f"your side will direct it."
        )
    if level:
        return (
            "fsp",
            f"You have {text} to steer it: an FSP team extends your own people while you keep control.",
        )
    return "full_service", f"With {text}, a full-service partner should own delivery of this function."


def _mix(
    outsourced: Sequence[tuple[FunctionSpec, int | None]],
    deliveries: dict[str, tuple[str, str]],
    boutique_available: bool,
) -> None:
    """Split a hybrid plan whose outsourced functions all got one delivery (see the module doc)."""
    only = next(iter({d for d, _ in deliveries.values()}))
    levels = {f.code: (level or 0) for f, level in outsourced}
    specialised = {f.code for f, _ in outsourced if f.specialised}
    codes = [f.code for f, _ in outsourced]
    mixed_specialisation = 0 < len(specialised) < len(codes)
    if only == "fsp":
        lowest = min(levels.values())
        if lowest < max(levels.values()):
            for code in codes:
                if levels[code] == lowest:
                    deliveries[code] = (
                        "full_service",
                        f"Among the functions you outsource, this is where your team is weakest "
                        f"({MATRIX_LEVELS[lowest]}): a full-service partner owns it, which leaves your "
                        f"oversight for the FSP teams.",
                    )
        elif mixed_specialisation:
            for code in codes:
                if code not in specialised:
                    deliveries[code] = (
                        "full_service",
                        f"Routine operational work ({_level_text(levels[code])}): a full-service partner "
                        f"carries it, while FSP teams take the specialised functions you oversee.",
                    )
        else:
            code = codes[0]
            deliveries[code] = (
                "full_service",
                f"You rate the functions you outsource alike ({_level_text(levels[code])}); a hybrid puts "
                f"one full-service partner in charge of this one so your oversight goes to the FSP teams. "
                f"It comes first in the catalogue: swap it for another function if that suits you better.",
            )
    elif only == "full_service":
        if mixed_specialisation:
            for code in specialised:
                if boutique_available:
                    deliveries[code] = (
                        "boutique",
                        f"A specialised function with {_level_text(levels[code])}: a boutique specialist "
                        f"brings its own senior oversight, beside the full-service partner for the rest.",
                    )
                else:
                    deliveries[code] = (
                        "fsp",
                        f"A specialised function: a targeted FSP team beside the full-service partner "
                        f"for the rest; with {_level_text(levels[code])}, plan who on your side will "
                        f"direct it.",
                    )
        else:
            code = codes[-1]
            deliveries[code] = (
                "fsp",
                f"You rate the functions you outsource alike ({_level_text(levels[code])}); a hybrid runs "
                f"this one as a targeted FSP team beside the full-service partner, so plan who on your side "
                f"will direct it. It comes last in the catalogue: swap it for another function if that "
                f"suits you better.",
            )
    else:  # every outsourced function went to boutiques
        strongest = max(codes, key=lambda code: (levels[code], -codes.index(code)))
        if levels[strongest]:
            deliveries[strongest] = (
                "fsp",
                f"Of the specialised functions you outsource, your team is strongest here "
                f"({MATRIX_LEVELS[levels[strongest]]}): an FSP team under your oversight, beside boutique "
                f"specialists for the others.",
            )
        else:
            deliveries[strongest] = (
                "full_service",
                "With no in-house capability in any function you outsource, a full-service partner "
                "carries this one beside boutique specialists for the others.",
            )


_GROUP_SUMMARY = {
    "full_service": "bundled with one full-service partner accountable for delivery",
    "fsp": "run by dedicated FSP teams under your governance",
    "boutique": "with boutique specialists for depth and senior attention",
    "in_house": "kept with your own teams",
}


def plan_functions(config: EngineConfig, answers: Mapping[str, Any], model: str, boutique: float) -> Plan:
    """The per-function plan, its gaps and its delivery groups for this model and these answers."""
    matrix: Mapping[str, int] = answers.get("internal_capabilities") or {}
    listed, assumed = listed_functions(config, answers)
    complexity = int(answers.get("therapeutic_complexity") or 0)
    boutique_available = boutique >= float(config.param("boutique_fit_threshold"))
    boutique_ok = complexity >= int(config.param("boutique_complexity_threshold")) and boutique_available
    in_house_level = int(config.param("in_house_level"))
    outsourced: list[tuple[FunctionSpec, int | None]] = []
    kept: dict[str, PlanItem] = {}
    gaps: list[PlanGap] = []
    for function in config.functions:
        level = matrix.get(function.code)
        if function.code in listed:
            outsourced.append((function, level))
            continue
        if level is None:
            continue  # not rated and not listed: nothing to say about it
        if level == 0:
            gaps.append(
                PlanGap(
                    function.code,
                    function.name,
                    level,
                    "Not on your list to outsource, and you rate it none in-house: decide with your account "
                    "manager whether the program needs it and who delivers it.",
                )
            )
            continue
        word = MATRIX_LEVELS[level]
        reason = (
            f"Your team rates it {word} and you did not list it for outsourcing: keep it in-house."
            if level >= in_house_level
            else f"Your team rates it {word} and you did not list it for outsourcing: it stays in-house; "
            f"an FSP team can support it if the workload grows."
        )
        kept[function.code] = PlanItem(function.code, function.name, level, "in_house", reason)
    deliveries = {
        f.code: _first_delivery(model, f, level, complexity, boutique_ok) for f, level in outsourced
    }
    if model == "hybrid" and len(outsourced) >= 2 and len({d for d, _ in deliveries.values()}) < 2:
        _mix(outsourced, deliveries, boutique_available)
    prefix = (
        "Part of the entire program you hand over (this questionnaire version did not ask which "
        "functions it covers). "
        if assumed
        else ""
    )
    items = []
    for function in config.functions:
        if function.code in deliveries:
            delivery, reason = deliveries[function.code]
            level = matrix.get(function.code)
            items.append(PlanItem(function.code, function.name, level, delivery, prefix + reason))
        elif function.code in kept:
            items.append(kept[function.code])
    groups = []
    for delivery in GROUP_ORDER:
        members = [item for item in items if item.delivery == delivery]
        if members:
            count = f"{len(members)} function{'s' if len(members) != 1 else ''}"
            groups.append(
                DeliveryGroup(
                    delivery,
                    GROUP_LABELS[delivery],
                    tuple(m.function for m in members),
                    tuple(m.function_name for m in members),
                    f"{count} {_GROUP_SUMMARY[delivery]}.",
                )
            )
    return Plan(tuple(items), tuple(gaps), tuple(groups))
