"""Reads for assessments: the engine's inputs built from the database, and scoped querysets."""

import hashlib
from collections import defaultdict
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from assessments.engine import SponsorContext
from assessments.matching import ProviderProfile
from assessments.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    Recommendation,
    Report,
)
from assessments.scoring import EngineConfig, FunctionSpec, QuestionSpec, ShowIf, Weight
from engagements.models import Sponsor
from engagements.selectors import scope_to_sponsor
from providers.models import (
    AICapability,
    Capability,
    ClinicalFunction,
    Provider,
    Region,
    TherapeuticArea,
    TherapeuticExpertise,
)


def assessments_visible_to(actor) -> QuerySet[Assessment]:
    """The one door to assessments: those of the sponsors the caller may see. A draft is the
    account manager's preparation: the sponsor sees an assessment once it is sent."""
    queryset = scope_to_sponsor(Assessment.objects.all(), actor)
    if getattr(actor, "is_staff", False):
        return queryset
    return queryset.exclude(status=AssessmentStatus.DRAFT)


def reports_visible_to(actor) -> QuerySet[Report]:
    return scope_to_sponsor(Report.objects.all(), actor, path="assessment__sponsor")


def recommendations_visible_to(actor) -> QuerySet[Recommendation]:
    return scope_to_sponsor(Recommendation.objects.all(), actor, path="assessment__sponsor")


def latest_published_questionnaire(name: str | None = None) -> Questionnaire | None:
    queryset = Questionnaire.objects.filter(status=QuestionnaireStatus.PUBLISHED)
    if name:
        queryset = queryset.filter(name=name)
    return queryset.order_by("-published_at", "-version").first()


def _build_config(questionnaire: Questionnaire) -> EngineConfig:
    questions = (
        Question.objects.filter(questionnaire=questionnaire)
        .select_related("section")
        .prefetch_related("choices", "weights")
        .order_by("section__position", "position", "id")
    )
    specs = []
    section_index: dict[int, int] = {}
    for question in questions:
        section_index.setdefault(question.section_id, len(section_index))
        choices = list(question.choices.all())
        show_if = None
        if question.show_if:
            show_if = ShowIf(
                question.show_if["question"], question.show_if["operator"], question.show_if["value"]
            )
        specs.append(
            QuestionSpec(
                code=question.code,
                kind=question.kind,
                label=question.label,
                text=question.text,
                help_text=question.help_text,
                section=section_index[question.section_id],
                choices=tuple(c.value for c in choices),
                choice_labels={c.value: c.label for c in choices},
                specialised=frozenset(c.value for c in choices if c.specialised),
                required=question.required,
                minimum=question.min_value,
                maximum=question.max_value,
                show_if=show_if,
                weights=tuple(
                    Weight(w.option, w.target, w.weight, w.rationale, w.sentence_low, w.sentence_high)
                    for w in question.weights.all()
                ),
            )
        )
    functions = tuple(
        FunctionSpec(f.code, f.name, f.specialised)
        for f in ClinicalFunction.objects.order_by("position", "name")
    )
    return EngineConfig(
        questions=tuple(specs),
        functions=functions,
        parameters=questionnaire.parameters or {},
        questionnaire_version=str(questionnaire),
    )


@lru_cache(maxsize=32)
def _frozen_config(questionnaire_id, published_at) -> EngineConfig:
    return _build_config(Questionnaire.objects.get(pk=questionnaire_id))


def engine_config(questionnaire: Questionnaire) -> EngineConfig:
    """The engine's view of a questionnaire. Published ones never change, so they are cached."""
    if questionnaire.is_frozen:
        return _frozen_config(questionnaire.pk, questionnaire.published_at)
    return _build_config(questionnaire)


def provider_profiles() -> list[ProviderProfile]:
    """Every active provider, flattened for the matcher (five queries, whatever the catalog's size).

    Rows, not model instances: each relation is read for all active providers at once through a
    join on `is_active` (no list of thousands of ids to send and plan), so a 2,000-provider
    catalog costs a tenth of what prefetching through related managers did.
    """
    active = {"provider__is_active": True}
    providers = list(
        Provider.objects.filter(is_active=True)
        .order_by("name")
        .values("id", "name", "kind", "senior_access", "data_governance_maturity", "engagement_models")
    )
    regions: dict[Any, set[str]] = defaultdict(set)
    for provider_id, code in Provider.regions.through.objects.filter(**active).values_list(
        "provider_id", "region_id"
    ):
        regions[provider_id].add(code)
    ai: dict[Any, set[str]] = defaultdict(set)
    for provider_id, code in Provider.ai_capabilities.through.objects.filter(**active).values_list(
        "provider_id", "aicapability_id"
    ):
        ai[provider_id].add(code)
    capabilities: dict[Any, dict[str, tuple[int, int]]] = defaultdict(dict)
    for provider_id, function_id, depth, capacity in Capability.objects.filter(**active).values_list(
        "provider_id", "function_id", "depth", "capacity_fte"
    ):
        capabilities[provider_id][function_id] = (depth, capacity)
    expertise: dict[Any, dict[str, int]] = defaultdict(dict)
    for provider_id, area_id, depth in TherapeuticExpertise.objects.filter(**active).values_list(
        "provider_id", "therapeutic_area_id", "depth"
    ):
        expertise[provider_id][area_id] = depth
    return [
        ProviderProfile(
            id=str(p["id"]),
            name=p["name"],
            kind=p["kind"],
            regions=frozenset(regions[p["id"]]),
            ai_capabilities=frozenset(ai[p["id"]]),
            senior_access=p["senior_access"],
            data_governance_maturity=p["data_governance_maturity"],
            engagement_models=frozenset(p["engagement_models"] or ()),
            capabilities=capabilities[p["id"]],
            expertise=expertise[p["id"]],
        )
        for p in providers
    ]


def catalog_fingerprint(profiles: list[ProviderProfile]) -> str:
    """A short hash of the provider catalog a shortlist was computed from."""
    digest = hashlib.sha256()
    for p in sorted(profiles, key=lambda p: p.id):
        digest.update(
            repr(
                (
                    p.id,
                    p.name,
                    p.kind,
                    sorted(p.regions),
                    sorted(p.ai_capabilities),
                    p.senior_access,
                    p.data_governance_maturity,
                    sorted(p.engagement_models),
                    sorted(p.capabilities.items()),
                    sorted(p.expertise.items()),
                )
            ).encode()
        )
    return digest.hexdigest()


def catalog_names() -> dict[str, str]:
    """Display names of every catalog code (for the reasons the engine writes)."""
    names = {}
    for model in (ClinicalFunction, TherapeuticArea, Region, AICapability):
        names.update(dict(model.objects.values_list("code", "name")))
    return names


def all_region_codes() -> list[str]:
    return list(Region.objects.order_by("position", "name").values_list("code", flat=True))


def sponsor_context(sponsor: Sponsor) -> SponsorContext:
    return SponsorContext(
        regions=tuple(sponsor.regions.order_by("position", "name").values_list("code", flat=True)),
        all_regions=tuple(all_region_codes()),
        names=catalog_names(),
    )


def answers_of(assessment: Assessment) -> dict[str, Any]:
    return dict(Answer.objects.filter(assessment=assessment).values_list("question__code", "value"))


def latest_recommendation(assessment: Assessment) -> Recommendation | None:
    return Recommendation.objects.filter(assessment=assessment).order_by("-created_at").first()


def portal_dashboard(sponsor: Sponsor) -> dict[str, Any]:
    """What a sponsor's member sees first (a fixed number of queries, whatever the volumes)."""
    from django.db.models import Count

    from engagements.models import Engagement, FollowUp, FollowUpStatus

    assessments = list(
        Assessment.objects.filter(sponsor=sponsor)
        .exclude(status=AssessmentStatus.DRAFT)
        .select_related("questionnaire", "engagement")
        .annotate(answered=Count("answers"))
        .order_by("-created_at")[:50]
    )
    totals = dict(
        Question.objects.filter(questionnaire__in={a.questionnaire_id for a in assessments})
        .values("questionnaire")
        .annotate(n=Count("id"))
        .values_list("questionnaire", "n")
    )
    for assessment in assessments:
        total = totals.get(assessment.questionnaire_id, 0)
        assessment.progress = round(100 * min(assessment.answered, total) / total) if total else 0
    recommendations = list(
        Recommendation.objects.filter(assessment__sponsor=sponsor)
        .select_related("assessment")
        .order_by("-created_at")[:5]
    )
    return {
        "sponsor": sponsor,
        "engagements": list(
            Engagement.objects.filter(sponsor=sponsor)
            .select_related("therapeutic_area", "owner")
            .order_by("-created_at")[:50]
        ),
        "open_assessments": [a for a in assessments if not a.is_locked],
        "done_assessments": [a for a in assessments if a.is_locked][:10],
        "recommendations": recommendations,
        "reports": list(
            Report.objects.filter(assessment__sponsor=sponsor)
            .select_related("assessment")
            .order_by("-created_at")[:10]
        ),
        "follow_ups": list(
            FollowUp.objects.filter(sponsor=sponsor, status=FollowUpStatus.OPEN)
            .select_related("assignee", "engagement")
            .order_by("due_at")[:10]
        ),
        "account_manager": sponsor.owner,
        "today": timezone.localdate(),
    }


def recommendation_signatures(assessment, *, latest=None) -> list:
    """The signatures on an assessment's recommendations, as people read them (core.signatures):
    one on an earlier recommendation (before a re-scoring) applies to that earlier version."""
    from django.contrib.contenttypes.models import ContentType

    from core import signatures
    from core.models import Signature

    latest = latest or latest_recommendation(assessment)
    if latest is None:
        return []
    signed = list(
        Signature.objects.filter(
            record_type=ContentType.objects.get_for_model(Recommendation),
            record_id__in=[str(pk) for pk in assessment.recommendations.values_list("pk", flat=True)],
        )
    )
    return signatures.shown(latest, signatures=signed) if signed else []
