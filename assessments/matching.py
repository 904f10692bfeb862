"""Provider shortlists: one per outsourced delivery group of the plan. Pure Python.

Each group of the plan (full-service bundle, FSP teams, boutique specialists) gets its own
shortlist, matched to the functions the plan gives that group. A provider is scored 0–100 on
components whose weights come from the questionnaire's parameters (`shortlist_weights`): depth in
the group's functions, therapeutic expertise, the regions where the program runs, AI capabilities
and governance, senior access. A component that does not apply to this sponsor (no therapeutic
areas given, say) is left out and the others are re-weighted, so a score is always "how well this
provider covers what you asked for". (A `model_fit` weight from questionnaire v1 is ignored: fit
with the delivery model is not a component but the first ranking rule.)

Ranking within a group:
1. providers that offer the group's delivery model (`full_service` or `fsp` among their
   engagement models; a boutique CRO for the boutique group) come before those that do not, so a
   full-service CRO never tops an FSP shortlist on its regions;
2. then the match score (as shown, one decimal);
3. ties are broken, in this order, by depth in the group's functions, capacity (FTEs) in those
   functions, therapeutic depth and regional coverage; only providers equal on all of those fall
   back to their name. The entry placed ahead says which criterion decided.

Regions: a global program needs every region; otherwise the program's own regions
(`program_regions`, questionnaire v2). Questionnaire v1 did not ask where a program runs: a
multi-region program then needs every region of the sponsor, and a single-country or single-region
program any one of them.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessments.figures import format_points, percent, points
from assessments.planning import OUTSOURCED
from assessments.scoring import EngineConfig, ModelRecommendation

PROVIDER_KIND_LABELS = {
    "full_service_cro": "full-service CRO",
    "fsp": "functional service provider",
    "boutique_cro": "boutique CRO",
}
DELIVERY_OFFERS = {
    "full_service": "full-service delivery",
    "fsp": "FSP teams",
    "boutique": "boutique specialist work",
}
COMPONENTS = ("functions", "therapeutic", "regions", "ai", "senior")
ALL_REGIONS_FOOTPRINT = "global"
SINGLE_FOOTPRINTS = ("single_country", "single_region")


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
    """What the providers of one delivery group must cover."""

    delivery: str
    functions: tuple[str, ...]
    therapeutic_areas: tuple[str, ...]
    regions: tuple[str, ...]
    regions_any: bool  # one of the regions will do (questionnaire v1, single-region programs)
    regions_basis: str  # global, program or sponsor
    ai_capabilities: tuple[str, ...]
    ai_maturity: int
    senior_support: int


@dataclass(frozen=True, slots=True)
class ShortlistEntry:
    provider_id: str
    name: str
    kind: str
    delivery: str  # the delivery group this entry serves
    rank: int  # 1 = first in its group
    score: float
    offers_delivery: bool
    components: Mapping[str, float]
    reasons: tuple[str, ...]


def offers(provider: ProviderProfile, delivery: str) -> bool:
    """Whether the provider offers this delivery model."""
    if delivery == "boutique":
        return provider.kind == "boutique_cro"
    return delivery in provider.engagement_models


def _regions(
    answers: Mapping[str, object], sponsor_regions, all_regions
) -> tuple[tuple[str, ...], bool, str]:
    footprint = answers.get("geographic_footprint")
    program = answers.get("program_regions")
    if footprint == ALL_REGIONS_FOOTPRINT:
        return tuple(all_regions), False, "global"
    if program:
        return tuple(program), False, "program"  # type: ignore[arg-type]
    return tuple(sponsor_regions), footprint in SINGLE_FOOTPRINTS, "sponsor"


def match_needs(
    recommendation: ModelRecommendation,
    answers: Mapping[str, object],
    *,
    sponsor_regions: Sequence[str],
    all_regions: Sequence[str],
) -> tuple[MatchNeeds, ...]:
    """What providers must cover, one entry per outsourced delivery group of the plan."""
    regions, regions_any, basis = _regions(answers, sponsor_regions, all_regions)
    return tuple(
        MatchNeeds(
            delivery=group.delivery,
            functions=group.functions,
            therapeutic_areas=tuple(answers.get("therapeutic_areas") or ()),  # type: ignore[arg-type]
            regions=regions,
            regions_any=regions_any,
            regions_basis=basis,
            ai_capabilities=tuple(answers.get("ai_capabilities_needed") or ()),  # type: ignore[arg-type]
            ai_maturity=int(answers.get("ai_maturity_required") or 1),  # type: ignore[call-overload]
            senior_support=int(answers.get("senior_support") or 1),  # type: ignore[call-overload]
        )
        for group in recommendation.delivery_groups
        if group.delivery in OUTSOURCED
    )


# How providers level on the match score are ordered, each as shown in the reason that says so.
TIE_CRITERIA = (
    (
        "average depth across all of this group's functions",
        lambda s: points(5 * (s.components[0] or 0.0)),
        "{:.1f} of 5",
    ),
    ("capacity in this group's functions", lambda s: s.capacity, "{} FTE"),
    ("therapeutic depth", lambda s: points(5 * (s.components[1] or 0.0)), "{:.1f} of 5"),
    ("regional coverage", lambda s: percent(s.components[2] or 0.0), "{}% of the regions"),
)


@dataclass(frozen=True, slots=True)
class _Scored:
    provider: ProviderProfile
    offers: bool
    score: float
    components: tuple[float | None, ...]
    capacity: int

    def key(self):
        return (
            not self.offers,
            -self.score,
            *(-value(self) for _, value, _ in TIE_CRITERIA),
            self.provider.name,
            self.provider.id,
        )


def _shared(providers: Sequence[ProviderProfile], needs: MatchNeeds) -> list[tuple]:
    """Per provider, the components that do not depend on the group: (therapeutic, regions, AI,
    senior), each in 0–1 or None where it does not apply."""
    areas = needs.therapeutic_areas
    area_total = 5 * len(areas)
    regions = frozenset(needs.regions)
    region_count = len(needs.regions)
    regions_any = needs.regions_any
    wanted_ai = frozenset(needs.ai_capabilities)
    ai_count = len(needs.ai_capabilities)
    maturity = max(1, needs.ai_maturity)
    seniority = max(1, needs.senior_support)
    rows = []
    for provider in providers:
        therapeutic = covered = None
        if areas:
            expertise = provider.expertise
            depth = 0
            for area in areas:
                depth += expertise.get(area, 0)
            therapeutic = depth / area_total
        if region_count:
            served = len(provider.regions & regions)
            covered = (1.0 if served else 0.0) if regions_any else served / region_count
        coverage = len(provider.ai_capabilities & wanted_ai) / ai_count if ai_count else 1.0
        ai = 0.7 * coverage + 0.3 * min(1.0, provider.data_governance_maturity / maturity)
        senior = min(1.0, provider.senior_access / seniority)
        rows.append((therapeutic, covered, ai, senior))
    return rows


def _ranked(
    needs: MatchNeeds,
    providers: Sequence[ProviderProfile],
    shared: Sequence[tuple],
    weights: tuple[float, ...],
    size: int,
) -> list[_Scored]:
    """The best `size` + 1 providers for one group, in ranking order (the hot loop: every provider,
    every group, no strings). The match score decides first; scores are rounded, and the tie
    criteria worked out, only for the providers that can reach the last place."""
    w_functions, w_therapeutic, w_regions, w_ai, w_senior = weights
    delivery, functions = needs.delivery, needs.functions
    count = len(functions)
    boutique = delivery == "boutique"
    rows = []
    for provider, common in zip(providers, shared, strict=True):
        therapeutic, regions, ai, senior = common
        weighted = ai * w_ai + senior * w_senior
        total = w_ai + w_senior
        depth = capacity = 0
        if count:
            capabilities = provider.capabilities
            for code in functions:
                capability = capabilities.get(code)
                if capability:
                    depth += capability[0]
                    capacity += capability[1]
            weighted += depth / (5 * count) * w_functions
            total += w_functions
        if therapeutic is not None:
            weighted += therapeutic * w_therapeutic
            total += w_therapeutic
        if regions is not None:
            weighted += regions * w_regions
            total += w_regions
        raw = 100.0 * weighted / total if total else 0.0
        offered = provider.kind == "boutique_cro" if boutique else delivery in provider.engagement_models
        rows.append((not offered, -raw, depth, capacity, provider, common))
    cut = heapq.nsmallest(size + 1, rows, key=lambda row: (row[0], row[1]))
    if not cut:
        return []
    # Rounding never reorders scores, but it can make a lower one level with the last place.
    last_tier, last_score = cut[-1][0], points(-cut[-1][1])
    floor = last_score - 0.051
    scored = []
    for not_offered, minus_raw, depth, capacity, provider, common in rows:
        if not_offered > last_tier or (not_offered == last_tier and -minus_raw < floor):
            continue
        score = points(-minus_raw)
        if not_offered == last_tier and score < last_score:
            continue
        components = (depth / (5 * count) if count else None, *common)
        scored.append(_Scored(provider, not not_offered, score, components, capacity))
    scored.sort(key=_Scored.key)
    return scored[: size + 1]


def _name(code: str, names: Mapping[str, str]) -> str:
    return names.get(code) or code.replace("_", " ").capitalize()


def _listing(values: Sequence[str]) -> str:
    return ", ".join(values[:-1]) + f" and {values[-1]}" if len(values) > 1 else "".join(values)


def _reasons(scored: _Scored, needs: MatchNeeds, names: Mapping[str, str]) -> list[str]:
    provider = scored.provider
    offer = DELIVERY_OFFERS[needs.delivery]
    if needs.delivery == "boutique":
        reasons = [
            "A boutique CRO, as this group calls for."
            if scored.offers
            else "Not a boutique CRO: listed after the boutique specialists."
        ]
    elif scored.offers:
        reasons = [f"Offers {offer}, the delivery model of this group."]
    else:
        reasons = [f"Does not offer {offer}: listed after the providers that do."]
    if needs.functions:
        covered = [f for f in needs.functions if f in provider.capabilities]
        if covered:
            depth = sum(provider.capabilities[f][0] for f in covered) / len(covered)
            which = "all" if len(covered) == len(needs.functions) else f"{len(covered)} of the"
            reasons.append(
                f"Covers {which} {len(needs.functions)} function{'s' if len(needs.functions) != 1 else ''} "
                f"of this group ({_listing([_name(f, names) for f in covered])}) at an average depth of "
                f"{format_points(depth)} of 5, with {scored.capacity} FTE."
            )
        else:
            reasons.append("Covers none of the functions of this group.")
    if needs.therapeutic_areas:
        best = max(needs.therapeutic_areas, key=lambda a: (provider.expertise.get(a, 0), a))
        if provider.expertise.get(best):
            reasons.append(f"{_name(best, names)} expertise at depth {provider.expertise[best]} of 5.")
    if needs.regions:
        served = [r for r in needs.regions if r in provider.regions]
        if needs.regions_basis == "global":
            reasons.append(f"Serves {len(served)} of the {len(needs.regions)} regions of a global program.")
        elif needs.regions_basis == "program":
            where = "the region" if len(needs.regions) == 1 else f"the {len(needs.regions)} regions"
            reasons.append(
                f"Serves {len(served)} of {where} where your program runs"
                + (f" ({_listing([_name(r, names) for r in served])})." if served else ".")
            )
        elif needs.regions_any:
            reasons.append(
                (f"Serves {_listing([_name(r, names) for r in served])}" if served else "Serves none")
                + " of your regions (this questionnaire version did not ask where the program runs)."
            )
        else:
            reasons.append(f"Serves {len(served)} of your {len(needs.regions)} regions.")
    have = [_name(c, names) for c in needs.ai_capabilities if c in provider.ai_capabilities]
    if have:
        reasons.append("AI capabilities you asked for: " + ", ".join(have) + ".")
    if needs.senior_support >= 4 and provider.senior_access >= 4:
        reasons.append(f"Senior-level access {provider.senior_access} of 5, as you asked.")
    return reasons


def _tie_reason(ahead: _Scored, behind: _Scored) -> str | None:
    """Why `ahead` is placed before `behind` when both show the same match score."""
    if ahead.offers != behind.offers or ahead.score != behind.score:
        return None
    for criterion, value, unit in TIE_CRITERIA:
        mine, theirs = value(ahead), value(behind)
        if mine != theirs:
            return (
                f"Level with {behind.provider.name} at {format_points(ahead.score)}; placed ahead for "
                f"{criterion} ({unit.format(mine)} against {unit.format(theirs)})."
            )
    return (
        f"Level with {behind.provider.name} on every criterion at {format_points(ahead.score)}; "
        f"listed by name."
    )


def names_for(config: EngineConfig, names: Mapping[str, str]) -> dict[str, str]:
    """Display names of catalog codes: the questionnaire's own labels, then the catalogs'."""
    merged = dict(names)
    merged.update({f.code: f.name for f in config.functions})
    for code in ("therapeutic_areas", "ai_capabilities_needed", "program_regions"):
        question = config.question(code)
        if question is not None:
            merged.update(question.choice_labels)
    return merged


def rank_providers(
    config: EngineConfig,
    needs: MatchNeeds,
    providers: Sequence[ProviderProfile],
    *,
    names: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> list[ShortlistEntry]:
    """Score every provider for one delivery group and return the best `limit`, best first.

    Every provider is scored; reasons are written only for the ones that make the list."""
    return shortlists(config, [needs], providers, names=names, limit=limit)


def shortlists(
    config: EngineConfig,
    needs_per_group: Sequence[MatchNeeds],
    providers: Sequence[ProviderProfile],
    *,
    names: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> list[ShortlistEntry]:
    """Every group's shortlist, group after group. What does not depend on the group (therapeutic
    areas, regions, AI, senior access) is worked out once per provider."""
    if not needs_per_group:
        return []
    configured = config.param("shortlist_weights")
    weights = tuple(float(configured.get(name, 0.0)) for name in COMPONENTS)
    size = limit if limit is not None else int(config.param("shortlist_size"))
    shared = _shared(providers, needs_per_group[0])
    labels = names_for(config, names or {})
    entries: list[ShortlistEntry] = []
    for needs in needs_per_group:
        entries.extend(_entries(needs, _ranked(needs, providers, shared, weights, size), size, labels))
    return entries


def _entries(
    needs: MatchNeeds, best: list[_Scored], size: int, labels: Mapping[str, str]
) -> list[ShortlistEntry]:
    entries = []
    for rank, item in enumerate(best[:size], start=1):
        reasons = _reasons(item, needs, labels)
        if rank < len(best):
            tie = _tie_reason(item, best[rank])
            if tie:
                reasons.append(tie)
        entries.append(
            ShortlistEntry(
                item.provider.id,
                item.provider.name,
                item.provider.kind,
                needs.delivery,
                rank,
                item.score,
                item.offers,
                {
                    name: round(value, 3)
                    for name, value in zip(COMPONENTS, item.components, strict=True)
                    if value is not None
                },
                tuple(reasons),
            )
        )
    return entries
