"""The whole recommendation, from answers to shortlists and tipping points, as JSON-ready data.

Pure Python. `recommend` scores the models, plans the functions and shortlists providers per
delivery group; with `tipping=True` it also finds the tipping points (`assessments.tipping`),
which a submitted assessment stores and a what-if leaves out.

Snapshot keys of engine 2.0.0 (stored in a Recommendation; engine 1.0.0 snapshots have only the
first group, and the surfaces read both):
- model, scores, confidence, confidence_label, drivers, function_plan, boutique_fit,
  ai_readiness, shortlist, engine_version — as in 1.0.0, with drivers and shortlist entries
  carrying more fields (a driver's label and direction; a shortlist entry's delivery group, rank
  and whether it offers the group's delivery model);
- driver_groups: {"for", "against", "alternative", "notes"};
- confidence_basis: the margin, spread, flips and changes the confidence was computed from;
- delivery_groups: the plan's groups (delivery, label, functions), each shortlisted apart;
- plan_gaps: functions nobody was named to deliver;
- sensitivity: answers ranked by how far one step of them narrows the lead;
- tipping_points: the smallest answer changes that change the model (None when not computed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assessments.figures import points
from assessments.matching import ProviderProfile, ShortlistEntry, match_needs, shortlists
from assessments.scoring import MODELS, EngineConfig, ModelRecommendation, effective_answers, recommend_model
from assessments.tipping import TippingPoint, tipping_points

V2_KEYS = (
    "driver_groups",
    "confidence_basis",
    "delivery_groups",
    "plan_gaps",
    "sensitivity",
    "tipping_points",
)


@dataclass(frozen=True)
class SponsorContext:
    """Facts about the sponsor the answers do not carry."""

    regions: tuple[str, ...]
    all_regions: tuple[str, ...]
    names: Mapping[str, str]  # catalog code -> display name, for reasons


@dataclass(frozen=True)
class Outcome:
    result: ModelRecommendation
    shortlist: tuple[ShortlistEntry, ...]  # every group's entries, group after group
    answers: Mapping[str, Any]
    context: SponsorContext
    tipping: tuple[TippingPoint, ...] | None = None

    def snapshot(self) -> dict[str, Any]:
        """The outcome as plain JSON data, the shape stored in a Recommendation."""
        result = self.result
        groups = result.driver_groups
        alternative = _plain(groups.alternative) if groups.alternative else None
        if alternative is not None:
            alternative["drivers"] = [_plain(d) for d in groups.alternative.drivers]
            alternative["tipping_point"] = next(
                (_tipping(t) for t in self.tipping or () if t.model == groups.alternative.model), None
            )
        return {
            "model": result.model,
            "scores": dict(result.scores),
            "confidence": result.confidence,
            "confidence_label": result.confidence_label,
            "drivers": [_plain(d) for d in result.drivers],
            "function_plan": [_plain(p) for p in result.plan],
            "boutique_fit": _plain(result.boutique),
            "ai_readiness": _plain(result.ai_readiness),
            "shortlist": [_plain(e) for e in self.shortlist],
            "engine_version": result.engine_version,
            "driver_groups": {
                "for": [_plain(d) for d in groups.for_],
                "against": [_plain(d) for d in groups.against],
                "alternative": alternative,
                "notes": list(groups.notes),
            },
            "confidence_basis": _plain(result.confidence_basis),
            "delivery_groups": [_plain(g) for g in result.delivery_groups],
            "plan_gaps": [_plain(g) for g in result.plan_gaps],
            "sensitivity": [_plain(s) for s in result.sensitivity],
            "tipping_points": None if self.tipping is None else [_tipping(t) for t in self.tipping],
        }


def _plain(record: Any) -> dict[str, Any]:
    """A slotted engine dataclass as a JSON-ready dict (dataclasses.asdict is far slower)."""
    plain = {}
    for name in type(record).__slots__:
        value = getattr(record, name)
        kind = type(value)
        if kind is tuple:
            value = [_plain(v) if hasattr(type(v), "__slots__") else v for v in value]
        elif kind is dict:
            value = dict(value)  # scores, components: a copy, so the snapshot owns its data
        plain[name] = value
    return plain


def _tipping(point: TippingPoint) -> dict[str, Any]:
    return {
        "changes": [_plain(c) for c in point.changes],
        "model": point.model,
        "label": point.label,
        "lead": point.lead,
        "scores": dict(point.scores),
        "sentence": point.sentence,
    }


def recommend(
    config: EngineConfig,
    answers: Mapping[str, Any],
    *,
    context: SponsorContext,
    providers: Sequence[ProviderProfile],
    tipping: bool = False,
) -> Outcome:
    """Recommend a model, plan the functions and shortlist providers for these answers."""
    result = recommend_model(config, answers)
    counted = effective_answers(config, answers)
    needs = match_needs(result, counted, sponsor_regions=context.regions, all_regions=context.all_regions)
    shortlist = shortlists(config, needs, providers, names=context.names)
    found = tipping_points(result) if tipping else None
    return Outcome(result, tuple(shortlist), counted, context, found)


def _ranks(shortlist: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """Each provider's place by (delivery group, provider); engine 1.0.0 entries have no group."""
    ranks: dict[tuple[str, str], int] = {}
    for position, entry in enumerate(shortlist, start=1):
        key = (entry.get("delivery", ""), entry["provider_id"])
        ranks.setdefault(key, entry.get("rank", position))
    return ranks


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What changes between two snapshots: model, scores, confidence, plan and shortlist."""
    plan_before = {p["function"]: p["delivery"] for p in before["function_plan"]}
    plan_after = {p["function"]: p["delivery"] for p in after["function_plan"]}
    plan_changes = [
        {"function": code, "before": plan_before.get(code), "after": plan_after.get(code)}
        for code in sorted(set(plan_before) | set(plan_after))
        if plan_before.get(code) != plan_after.get(code)
    ]
    rank_before, rank_after = _ranks(before["shortlist"]), _ranks(after["shortlist"])
    names = {e["provider_id"]: e["name"] for e in [*before["shortlist"], *after["shortlist"]]}
    shortlist_changes = [
        {
            "provider_id": pid,
            "name": names[pid],
            "delivery": delivery,
            "before": rank_before.get((delivery, pid)),
            "after": rank_after.get((delivery, pid)),
        }
        for delivery, pid in sorted(
            set(rank_before) | set(rank_after),
            key=lambda key: (key[0], rank_after.get(key, 99), names[key[1]]),
        )
        if rank_before.get((delivery, pid)) != rank_after.get((delivery, pid))
    ]
    return {
        "model_changed": before["model"] != after["model"],
        "model_before": before["model"],
        "model_after": after["model"],
        "score_changes": {m: points(after["scores"][m] - before["scores"][m]) for m in MODELS},
        "confidence_before": before["confidence"],
        "confidence_after": after["confidence"],
        "plan_changes": plan_changes,
        "shortlist_changes": shortlist_changes,
    }
