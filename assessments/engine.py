"""The whole recommendation, from answers to shortlist, as JSON-ready data. Pure Python."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assessments.matching import ProviderProfile, ShortlistEntry, match_needs, rank_providers
from assessments.scoring import MODELS, EngineConfig, ModelRecommendation, effective_answers, recommend_model


@dataclass(frozen=True)
class SponsorContext:
    """Facts about the sponsor the answers do not carry."""

    regions: tuple[str, ...]
    all_regions: tuple[str, ...]
    names: Mapping[str, str]  # catalog code -> display name, for reasons


@dataclass(frozen=True)
class Outcome:
    result: ModelRecommendation
    shortlist: tuple[ShortlistEntry, ...]
    answers: Mapping[str, Any]
    context: SponsorContext

    def snapshot(self) -> dict[str, Any]:
        """The outcome as plain JSON data, the shape stored in a Recommendation."""
        result = self.result
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
        }


def _plain(record: Any) -> dict[str, Any]:
    """A slotted engine dataclass as a JSON-ready dict (dataclasses.asdict is far slower)."""
    plain = {}
    for name in type(record).__slots__:
        value = getattr(record, name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        plain[name] = value
    return plain


def recommend(
    config: EngineConfig,
    answers: Mapping[str, Any],
    *,
    context: SponsorContext,
    providers: Sequence[ProviderProfile],
) -> Outcome:
    """Recommend a model, plan the functions and shortlist providers for these answers."""
    result = recommend_model(config, answers)
    counted = effective_answers(config, answers)
    needs = match_needs(result, counted, sponsor_regions=context.regions, all_regions=context.all_regions)
    shortlist = rank_providers(config, needs, providers, names=context.names)
    return Outcome(result, tuple(shortlist), counted, context)


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What changes between two snapshots: model, scores, confidence, plan and shortlist."""
    plan_before = {p["function"]: p["delivery"] for p in before["function_plan"]}
    plan_after = {p["function"]: p["delivery"] for p in after["function_plan"]}
    plan_changes = [
        {"function": code, "before": plan_before.get(code), "after": plan_after.get(code)}
        for code in sorted(set(plan_before) | set(plan_after))
        if plan_before.get(code) != plan_after.get(code)
    ]
    rank_before = {e["provider_id"]: i + 1 for i, e in enumerate(before["shortlist"])}
    rank_after = {e["provider_id"]: i + 1 for i, e in enumerate(after["shortlist"])}
    names = {e["provider_id"]: e["name"] for e in [*before["shortlist"], *after["shortlist"]]}
    shortlist_changes = [
        {"provider_id": pid, "name": names[pid], "before": rank_before.get(pid), "after": rank_after.get(pid)}
        for pid in sorted(set(rank_before) | set(rank_after), key=lambda p: (rank_after.get(p, 99), names[p]))
        if rank_before.get(pid) != rank_after.get(pid)
    ]
    return {
        "model_changed": before["model"] != after["model"],
        "model_before": before["model"],
        "model_after": after["model"],
        "score_changes": {m: round(after["scores"][m] - before["scores"][m], 1) for m in MODELS},
        "confidence_before": before["confidence"],
        "confidence_after": after["confidence"],
        "plan_changes": plan_changes,
        "shortlist_changes": shortlist_changes,
    }
