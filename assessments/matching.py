"""Provider shortlist: every active provider scored 0–100 against what the sponsor needs.

Pure Python, like the scoring engine. Components and their weights come from the questionnaire's
parameters (`shortlist_weights`); a component that does not apply to this sponsor (no therapeutic
areas given, say) is left out and the others are re-weighted, so a score is always "how well this
provider covers what you asked for".
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessments.scoring import EngineConfig, ModelRecommendation

PROVIDER_KIND_LABELS = {
    "full_service_cro": "full-service CRO",
    "fsp": "functional service provider",
    "boutique_cro": "boutique CRO",
}


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    id: str
    name: str
    kind: str
    regions: frozenset[str]
    ai_capabilities: frozenset[str]
    senior_access: int
    data_governance_maturity: int
    engagement_models: frozenset[str]
    capabilities: Mapping[str, tuple[int, int]]  # function code -> (depth 1–5, capacity FTE)
    expertise: Mapping[str, int]  # therapeutic area code -> depth 1–5


@dataclass(frozen=True, slots=True)
class MatchNeeds:
    model: str
    functions: tuple[str, ...]
    boutique_functions: tuple[str, ...]
    therapeutic_areas: tuple[str, ...]
    regions: tuple[str, ...]
    ai_capabilities: tuple[str, ...]
    ai_maturity: int
    senior_support: int
    boutique_fit: str


@dataclass(frozen=True, slots=True)
class ShortlistEntry:
    provider_id: str
    name: str
    kind: str
    score: float
    components: Mapping[str, float]
    reasons: tuple[str, ...]


ALL_REGIONS_FOOTPRINT = "global"


def match_needs(
    recommendation: ModelRecommendation,
    answers: Mapping[str, object],
    *,
    sponsor_regions: Sequence[str],
    all_regions: Sequence[str],
) -> MatchNeeds:
    """What a provider must cover, from the answers, the plan and the sponsor's regions."""
    outsourced = tuple(p.function for p in recommendation.plan if p.delivery != "in_house")
    footprint = answers.get("geographic_footprint")
    if footprint == ALL_REGIONS_FOOTPRINT:
        regions = tuple(all_regions)
    elif footprint in ("single_country", "single_region"):
        regions = tuple(sponsor_regions[:1])
    else:
        regions = tuple(sponsor_regions)
    return MatchNeeds(
        model=recommendation.model,
        functions=outsourced,
        boutique_functions=tuple(p.function for p in recommendation.plan if p.delivery == "boutique"),
        therapeutic_areas=tuple(answers.get("therapeutic_areas") or ()),
        regions=regions,
        ai_capabilities=tuple(answers.get("ai_capabilities_needed") or ()),
        ai_maturity=int(answers.get("ai_maturity_required") or 1),
        senior_support=int(answers.get("senior_support") or 1),
        boutique_fit=recommendation.boutique.level,
    )


COMPONENTS = ("functions", "therapeutic", "regions", "ai", "senior", "model_fit")


def _components(provider: ProviderProfile, needs: MatchNeeds) -> tuple[float | None, ...]:
    """Each component in 0–1, or None where it does not apply. The hot loop: no strings here."""
    functions = therapeutic = regions = None
    if needs.functions:
        capabilities = provider.capabilities
        total = 0
        for code in needs.functions:
            capability = capabilities.get(code)
            if capability:
                total += capability[0]
        functions = total / (5 * len(needs.functions))
    if needs.therapeutic_areas:
        expertise = provider.expertise
        therapeutic = sum(expertise.get(a, 0) for a in needs.therapeutic_areas) / (
            5 * len(needs.therapeutic_areas)
        )
    if needs.regions:
        served = provider.regions
        regions = sum(1 for r in needs.regions if r in served) / len(needs.regions)
    if needs.ai_capabilities:
        have = provider.ai_capabilities
        coverage = sum(1 for c in needs.ai_capabilities if c in have) / len(needs.ai_capabilities)
    else:
        coverage = 1.0
    ai = 0.7 * coverage + 0.3 * min(1.0, provider.data_governance_maturity / max(1, needs.ai_maturity))
    senior = min(1.0, provider.senior_access / max(1, needs.senior_support))
    wants_boutique = bool(needs.boutique_functions) or needs.boutique_fit == "strong"
    if (provider.kind == "boutique_cro" and wants_boutique) or needs.model in provider.engagement_models:
        model_fit = 1.0
    else:
        model_fit = 0.3
    return (functions, therapeutic, regions, ai, senior, model_fit)


def _weighted(components: tuple[float | None, ...], weights: tuple[float, ...]) -> float:
    total = weighted = 0.0
    for value, weight in zip(components, weights, strict=True):
        if value is not None:
            weighted += value * weight
            total += weight
    return round(100.0 * weighted / total, 1) if total else 0.0


def _reasons(provider: ProviderProfile, needs: MatchNeeds, names: Mapping[str, str]) -> tuple[str, ...]:
    reasons: list[str] = []
    if needs.functions:
        depths = [provider.capabilities[f][0] for f in needs.functions if f in provider.capabilities]
        if depths:
            reasons.append(
                f"Covers {len(depths)} of the {len(needs.functions)} functions you outsource "
                f"(average depth {sum(depths) / len(depths):.1f} of 5)."
            )
        else:
            reasons.append("Covers none of the functions you outsource.")
    if needs.therapeutic_areas:
        best = max(needs.therapeutic_areas, key=lambda a: (provider.expertise.get(a, 0), a))
        if provider.expertise.get(best):
            reasons.append(f"{names.get(best, best)} expertise at depth {provider.expertise[best]} of 5.")
    if needs.regions:
        served = sum(1 for r in needs.regions if r in provider.regions)
        reasons.append(f"Serves {served} of the {len(needs.regions)} regions you need.")
    have = [names.get(c, c) for c in needs.ai_capabilities if c in provider.ai_capabilities]
    if have:
        reasons.append("AI capabilities you asked for: " + ", ".join(have) + ".")
    if needs.senior_support >= 4 and provider.senior_access >= 4:
        reasons.append(f"Senior-level access {provider.senior_access} of 5, as you asked.")
    if provider.kind == "boutique_cro" and (needs.boutique_functions or needs.boutique_fit == "strong"):
        reasons.append("A boutique specialist, where your plan calls for one.")
    elif needs.model in provider.engagement_models:
        reasons.append(f"Offers the {needs.model.replace('_', '-')} model recommended for you.")
    return tuple(reasons)


def rank_providers(
    config: EngineConfig,
    needs: MatchNeeds,
    providers: Sequence[ProviderProfile],
    *,
    names: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> list[ShortlistEntry]:
    """Score every provider and return the best `limit`, best first (ties by name, then id).

    Every provider is scored; reasons are written only for the ones that make the list."""
    configured = config.param("shortlist_weights")
    weights = tuple(float(configured.get(name, 0.0)) for name in COMPONENTS)
    size = limit if limit is not None else int(config.param("shortlist_size"))
    scored = [(_weighted(_components(p, needs), weights), p) for p in providers]
    best = heapq.nsmallest(size, scored, key=lambda item: (-item[0], item[1].name, item[1].id))
    return [
        ShortlistEntry(
            provider.id,
            provider.name,
            provider.kind,
            score,
            {
                name: round(value, 3)
                for name, value in zip(COMPONENTS, _components(provider, needs), strict=True)
                if value is not None
            },
            _reasons(provider, needs, names or {}),
        )
        for score, provider in best
    ]
