"""The reference questionnaires v1 and v2 as the engine sees them, built from the migrations' own
data (no database), plus answer sets for the scenarios the article describes."""

import importlib
from functools import cache

from assessments.matching import ProviderProfile
from assessments.scoring import DEFAULT_PARAMETERS, EngineConfig, FunctionSpec, QuestionSpec, ShowIf, Weight

_questionnaire = importlib.import_module("assessments.migrations.0002_reference_questionnaire")
_questionnaire_v2 = importlib.import_module("assessments.migrations.0012_reference_questionnaire_v2")
_catalogs = importlib.import_module("providers.migrations.0002_reference_catalogs")

FUNCTIONS = [code for code, *_ in _catalogs.FUNCTIONS]
AREAS = [code for code, *_ in _catalogs.THERAPEUTIC_AREAS]
REGIONS = [code for code, _ in _catalogs.REGIONS]
AI = [code for code, *_ in _catalogs.AI_CAPABILITIES]
REGION_NAMES = dict(_catalogs.REGIONS)


@cache
def reference_config() -> EngineConfig:
    """v1, with the direction sentences migration 0010 gives its weights."""
    return _config(
        _questionnaire.SECTIONS,
        [
            (
                code,
                option,
                target,
                weight,
                rationale,
                *_questionnaire_v2.sentences(code, option, target, rationale),
            )
            for code, option, target, weight, rationale in _questionnaire.WEIGHTS
        ],
        _questionnaire.PARAMETERS,
    )


@cache
def reference_config_v2() -> EngineConfig:
    return _config(
        _questionnaire_v2.sections_v2(), _questionnaire_v2.weights_v2(), _questionnaire_v2.PARAMETERS
    )


def _config(sections, weight_rows, parameters) -> EngineConfig:
    catalog_rows = {
        "functions": [(code, name, specialised) for code, name, specialised, _ in _catalogs.FUNCTIONS],
        "therapeutic_areas": list(_catalogs.THERAPEUTIC_AREAS),
        "ai_capabilities": [(code, name, False) for code, name, _ in _catalogs.AI_CAPABILITIES],
        "regions": [(code, name, False) for code, name in _catalogs.REGIONS],
    }
    weights: dict[str, list[Weight]] = {}
    for code, option, target, weight, rationale, low, high in weight_rows:
        weights.setdefault(code, []).append(Weight(option, target, float(weight), rationale, low, high))
    specs = []
    for section, (_title, _description, items) in enumerate(sections):
        for code, kind, label, text, _help, required, choices, show_if in items:
            rows = (
                catalog_rows[choices]
                if isinstance(choices, str)
                else [(v, lbl, False) for v, lbl in choices or []]
            )
            specs.append(
                QuestionSpec(
                    code=code,
                    kind=kind,
                    label=label,
                    text=text,
                    section=section,
                    choices=tuple(v for v, _, _ in rows),
                    choice_labels={v: lbl for v, lbl, _ in rows},
                    specialised=frozenset(v for v, _, s in rows if s),
                    required=required,
                    show_if=ShowIf(show_if["question"], show_if["operator"], show_if["value"])
                    if show_if
                    else None,
                    weights=tuple(weights.get(code, ())),
                )
            )
    functions = tuple(
        FunctionSpec(code, name, specialised) for code, name, specialised, _ in _catalogs.FUNCTIONS
    )
    return EngineConfig(
        questions=tuple(specs),
        functions=functions,
        parameters={**DEFAULT_PARAMETERS, **parameters},
    )


def matrix(level_or_levels) -> dict[str, int]:
    if isinstance(level_or_levels, int):
        return dict.fromkeys(FUNCTIONS, level_or_levels)
    return dict(zip(FUNCTIONS, level_or_levels, strict=True))


def neutral_answers(**overrides) -> dict:
    """A complete, middle-of-the-road answer set; scenarios override what defines them."""
    answers = {
        "sponsor_profile": "mid_size_pharma",
        "internal_capabilities": matrix(1),
        "clinical_leadership": 3,
        "oversight_capacity": 3,
        "outsourcing_scope": "multiple_functions",
        "functions_to_outsource": FUNCTIONS[:5],
        "geographic_footprint": "multi_region",
        "timeline_pressure": 3,
        "portfolio_growth": "growing",
        "resource_variability": 3,
        "strategic_control": 3,
        "flexibility_importance": 3,
        "end_to_end_accountability": 3,
        "partnership_level": "collaborative",
        "senior_support": 3,
        "budget_flexibility": 3,
        "therapeutic_areas": ["cardiovascular"],
        "therapeutic_complexity": 3,
        "ai_maturity_required": 3,
        "ai_capabilities_needed": ["ai_data_review"],
        "sponsor_ai_platform": False,
        "data_governance_maturity": 3,
    }
    answers.update(overrides)
    return answers


EMERGING_BIOTECH_NO_INFRASTRUCTURE = neutral_answers(
    sponsor_profile="emerging_biotech",
    internal_capabilities=matrix(0),
    clinical_leadership=1,
    oversight_capacity=1,
    outsourcing_scope="entire_program",
    geographic_footprint="global",
    timeline_pressure=5,
    portfolio_growth="rapid",
    end_to_end_accountability=5,
    strategic_control=2,
    partnership_level="strategic",
)
LARGE_PHARMA_TARGETED_GAPS = neutral_answers(
    sponsor_profile="large_pharma",
    internal_capabilities=matrix(3),
    clinical_leadership=5,
    oversight_capacity=5,
    outsourcing_scope="specific_functions",
    functions_to_outsource=["pharmacovigilance", "medical_writing"],
    geographic_footprint="multi_region",
    resource_variability=5,
    strategic_control=5,
    flexibility_importance=5,
    end_to_end_accountability=1,
    partnership_level="transactional",
    sponsor_ai_platform=True,
    data_governance_maturity=5,
)
MID_SIZE_MIXED_COMPLEX = neutral_answers(
    sponsor_profile="mid_size_pharma",
    internal_capabilities=matrix([3, 3, 3, 3, 0, 0, 0, 0, 3, 0, 0, 3, 0, 0]),
    clinical_leadership=4,
    outsourcing_scope="multiple_functions",
    functions_to_outsource=[
        "clinical_data_management",
        "biostatistics",
        "statistical_programming",
        "pharmacovigilance",
        "medical_monitoring",
    ],
    therapeutic_areas=["oncology", "cardiovascular"],
    therapeutic_complexity=5,
    senior_support=4,
)


def provider(pid: str, **fields) -> ProviderProfile:
    values = {
        "id": pid,
        "name": fields.pop("name", f"Provider {pid}"),
        "kind": "full_service_cro",
        "regions": frozenset(REGIONS),
        "ai_capabilities": frozenset(),
        "senior_access": 3,
        "data_governance_maturity": 3,
        "engagement_models": frozenset({"full_service"}),
        "capabilities": {},
        "expertise": {},
    }
    values.update(fields)
    return ProviderProfile(**values)


def for_v2(answers: dict, *, functions=None, regions=None) -> dict:
    """A v1 answer set completed for v2: the functions an entire program covers (all, unless
    given) and where a program that is not global runs (as many regions as its footprint needs)."""
    completed = dict(answers)
    if completed.get("outsourcing_scope") == "entire_program":
        completed["functions_to_outsource"] = list(functions or FUNCTIONS)
    footprint = completed.get("geographic_footprint")
    if footprint != "global":
        default = ["europe", "north_america"] if footprint == "multi_region" else ["europe"]
        completed["program_regions"] = list(regions or default)
    return completed
