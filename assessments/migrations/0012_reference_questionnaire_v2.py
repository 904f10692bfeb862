"""Engine 2.0: a sentence for each direction of every weight, and the reference questionnaire v2.

Every weight gets a sentence for a low answer and one for a high answer (for a choice, one for
when it is chosen: v1's rationale, which was written for that case). The v1 questionnaire's
weights receive the same sentences in the two new columns, so assessments answered on v1 read
true when they are re-scored by engine 2; nothing that scores v1 (questions, choices, weights,
parameters) changes.

v2 is v1 with three changes, published here:
- `functions_to_outsource` is asked whatever the scope: an entire-program hand-over names the
  functions it covers too, so none is outsourced without being listed;
- `program_regions` (the regions where the program runs) follows `geographic_footprint`, shown
  when the footprint is not global;
- engine 2's parameters (shortlist per delivery group, no model-fit component, tipping points).
The questions' codes, choices and weights are taken from the v1 migration's data, so the two
versions score every shared answer the same way.

Like v1 (loaded before the audit trail existed), this reference data is written without audit
events: the migration is its record. Besides, the events tables are append-only, and the test
runner's serialized rollback re-saves every serialized row, which such a table refuses.
"""

import importlib

import pghistory
import pgtrigger
from django.db import migrations
from django.utils import timezone

V1 = importlib.import_module("assessments.migrations.0002_reference_questionnaire")

NAME = "Outsourcing model assessment"

PARAMETERS = {
    "hybrid_balance_points": 8.0,
    "boutique_complexity_threshold": 4,
    "boutique_fit_threshold": 55.0,
    "in_house_level": 2,
    "shortlist_size": 5,
    "shortlist_weights": {"functions": 40, "therapeutic": 20, "regions": 15, "ai": 15, "senior": 10},
    "ai_readiness_weights": {"governance": 0.6, "platform": 0.4},
    "tipping_points": 5,
}

FS, FSP, HY, BO = "full_service", "fsp", "hybrid", "boutique"

# (question, option, target) → (sentence for a low answer, sentence for a high answer).
# Weights on a chosen option (single choices) use their v1 rationale as the high sentence.
SENTENCES = {
    ("internal_capabilities", "__mean__", FS): (
        "The less you can do in-house, the more one accountable partner helps.",
        "With strong in-house capability across functions, you need less of one partner running everything.",
    ),
    ("internal_capabilities", "__mean__", FSP): (
        "With little in-house capability, FSP teams would have no organisation of yours to plug into.",
        "Established in-house capability is what FSP teams plug into.",
    ),
    ("internal_capabilities", "__mixed__", HY): (
        "Your in-house capability is much the same across functions, so there is no clear split to build "
        "a mix of models around.",
        "Strong in some functions and absent in others is the classic case for mixing models.",
    ),
    ("clinical_leadership", "", FS): (
        "With little clinical leadership in-house, a full-service partner supplies the direction a "
        "program needs.",
        "Strong clinical leadership can direct outsourced work without a prime contractor.",
    ),
    ("clinical_leadership", "", FSP): (
        "FSP teams need experienced leaders on your side to direct them, and you have few.",
        "Experienced in-house leaders are what make FSP teams effective.",
    ),
    ("clinical_leadership", "", HY): (
        "A mix of partners needs strong leaders to steer it.",
        "Strong leaders can also steer a mix of partners.",
    ),
    ("oversight_capacity", "", FS): (
        "With little time to oversee vendors, a partner that manages delivery end to end takes that load "
        "off you.",
        "Sponsors who can oversee vendors need less end-to-end management bought in.",
    ),
    ("oversight_capacity", "", FSP): (
        "FSP relies on you overseeing the work day to day, which your capacity would not allow.",
        "FSP relies on you overseeing the work day to day, and you can.",
    ),
    ("oversight_capacity", "", HY): (
        "Several partners need coordinating, and your oversight capacity is limited.",
        "Several partners need someone to coordinate them, and you have the capacity.",
    ),
    ("functions_to_outsource", "__share__", FS): (
        "You outsource only a few functions, which does not need one partner accountable for everything.",
        "The more functions you outsource, the more one accountable partner simplifies coordination.",
    ),
    ("functions_to_outsource", "__share__", FSP): (
        "A few targeted functions are easy to run as FSP teams.",
        "Many separate functional vendors multiply your oversight work.",
    ),
    ("functions_to_outsource", "__specialised_share__", BO): (
        "The functions you outsource are mostly routine, where boutique depth matters less.",
        "Specialist functions are where boutique depth stands out.",
    ),
    ("timeline_pressure", "", FS): (
        "Relaxed timelines leave time to build and direct your own teams instead of buying in ready "
        "processes.",
        "Aggressive timelines favour a partner with ready processes and one point of accountability.",
    ),
    ("timeline_pressure", "", FSP): (
        "With relaxed timelines there is time to build functional teams under your own governance.",
        "Building functional teams under your own governance takes time.",
    ),
    ("timeline_pressure", "", BO): (
        "Relaxed timelines make a boutique's speed of decision matter less.",
        "Small senior teams decide quickly.",
    ),
    ("resource_variability", "", FSP): (
        "Steady demand needs less of the scaling up and down that FSP teams offer.",
        "FSP teams scale up and down with demand without long-term commitments.",
    ),
    ("resource_variability", "", FS): (
        "Steady demand suits contracts sized per study.",
        "Full-service contracts are sized per study, not per fluctuation.",
    ),
    ("resource_variability", "", HY): (
        "Steady demand needs no flexible layer beside a core partner.",
        "A flexible layer beside a core partner absorbs fluctuation.",
    ),
    ("strategic_control", "", FS): (
        "You are content to delegate program decisions, which a full-service CRO takes on.",
        "A full-service CRO takes many day-to-day decisions on your behalf.",
    ),
    ("strategic_control", "", FSP): (
        "Keeping decisions in-house, FSP's main advantage, matters little to you.",
        "With FSP, program decisions stay with you.",
    ),
    ("strategic_control", "", HY): (
        "Control matters little to you, so a hybrid's selective control adds little.",
        "A hybrid model keeps control where it matters most to you.",
    ),
    ("flexibility_importance", "", FSP): (
        "Resizing teams function by function, a strength of FSP, is not a priority for you.",
        "FSP arrangements are tailored and resized function by function.",
    ),
    ("flexibility_importance", "", FS): (
        "You rarely need to resize teams, so a fixed full-service scope suits you.",
        "Full-service scopes are harder to resize mid-study.",
    ),
    ("flexibility_importance", "", HY): (
        "Room to adjust, which mixing models adds, is not a priority for you.",
        "Mixing models adds room to adjust.",
    ),
    ("flexibility_importance", "", BO): (
        "A boutique's adaptability matters less when flexibility is not a priority.",
        "Boutiques adapt their delivery to each client.",
    ),
    ("end_to_end_accountability", "", FS): (
        "One partner accountable for everything, the defining trait of full-service, is not what you need.",
        "One partner accountable for delivery is the defining trait of full-service.",
    ),
    ("end_to_end_accountability", "", FSP): (
        "You are ready to hold accountability for the program yourself, as FSP requires.",
        "With FSP, accountability for the program stays with you.",
    ),
    ("senior_support", "", BO): (
        "You need little dedicated senior support, which is where boutiques stand out.",
        "Boutiques give you direct access to senior experts.",
    ),
    ("senior_support", "", FS): (
        "You need little senior attention, so a large CRO's spread-out senior time is no drawback.",
        "Senior attention at a large CRO is spread across many clients.",
    ),
    ("budget_flexibility", "", FS): (
        "When cost dominates, full-service management is harder to afford.",
        "Full-service costs more but buys end-to-end management, and your budget has room.",
    ),
    ("budget_flexibility", "", FSP): (
        "When cost dominates, paying only for the functions you need helps.",
        "With room in the budget, paying only for the functions you need matters less.",
    ),
    ("budget_flexibility", "", BO): (
        "Senior specialist time is a premium that a tight budget makes hard to justify.",
        "Senior specialist time is a premium your budget can carry.",
    ),
    ("therapeutic_areas", "__specialised_share__", BO): (
        "Your areas are mostly routine, where specialist knowledge matters less.",
        "Areas such as oncology or rare diseases call for specialist knowledge.",
    ),
    ("therapeutic_areas", "__specialised_share__", HY): (
        "Routine areas rarely need a specialist beside a broader partner.",
        "Specialised science often needs a specialist beside a broader partner.",
    ),
    ("therapeutic_areas", "__mixed_specialisation__", HY): (
        "",  # the feature is 0 or 1: it never counts against
        "Complex areas beside routine work favour a specialist for one and scale for the other.",
    ),
    ("therapeutic_complexity", "", BO): (
        "Routine science does not need a specialist's depth.",
        "Highly specialised science benefits from specialist depth.",
    ),
    ("therapeutic_complexity", "", HY): (
        "Routine indications rarely need a specialist beside a broader partner.",
        "Complex indications often need a specialist beside a broader partner.",
    ),
    ("sponsor_ai_platform", "", FSP): (
        "Without a platform of your own, FSP teams would have to bring or borrow one.",
        "FSP teams work inside your own systems, so your platform keeps its value.",
    ),
    ("sponsor_ai_platform", "", FS): (
        "Without a platform of your own, a full-service CRO's platforms fill the gap.",
        "A full-service CRO usually runs its own platforms, which must then integrate with yours.",
    ),
    ("sponsor_ai_platform", "", HY): (
        "Without your own platform, there are no platform-heavy functions to keep inside your systems.",
        "A hybrid can keep platform-heavy functions with teams inside your systems.",
    ),
    ("data_governance_maturity", "", FSP): (
        "With early data governance, overseeing functional partners' data yourself is hard.",
        "Mature governance lets you oversee functional partners' data yourself.",
    ),
    ("data_governance_maturity", "", FS): (
        "With early data governance, a partner's governance framework is worth buying in.",
        "Mature governance reduces the need to buy it in.",
    ),
    ("data_governance_maturity", "", HY): (
        "With early data governance, several partners' data is harder to manage.",
        "Good governance makes several partners' data manageable.",
    ),
}

PROGRAM_REGIONS = (
    "program_regions",
    "multi",
    "Program regions",
    "In which regions will the program run?",
    "One region for a single-country or single-region program, two or more for several regions.",
    True,
    "regions",
    {"question": "geographic_footprint", "operator": "not_equals", "value": "global"},
)


def sentences(code: str, option: str, target: str, rationale: str) -> tuple[str, str]:
    """(low, high) for a weight: from SENTENCES, or a chosen option's own rationale."""
    return SENTENCES.get((code, option, target), ("", rationale))


def sections_v2():
    """v1's sections with v2's changes (see the module docstring)."""
    sections = []
    for title, description, items in V1.SECTIONS:
        rows = []
        for item in items:
            code = item[0]
            if code == "functions_to_outsource":
                item = (
                    code,
                    "multi",
                    item[2],
                    "Which functions should partners deliver?",
                    "For an entire program, tick every function the program needs from partners; functions "
                    "you do not tick stay with your team, or are flagged to discuss when you have none.",
                    True,
                    "functions",
                    None,
                )
            rows.append(item)
            if code == "geographic_footprint":
                rows.append(PROGRAM_REGIONS)
        sections.append((title, description, rows))
    return sections


def weights_v2():
    """(code, option, target, weight, rationale, low, high) for every v2 weight."""
    return [
        (code, option, target, weight, rationale, *sentences(code, option, target, rationale))
        for code, option, target, weight, rationale in V1.WEIGHTS
    ]


def _catalog_rows(apps, catalog: str):
    model = {
        "functions": ("providers", "ClinicalFunction"),
        "therapeutic_areas": ("providers", "TherapeuticArea"),
        "ai_capabilities": ("providers", "AICapability"),
        "regions": ("providers", "Region"),
    }[catalog]
    return [
        (entry.code, entry.name, getattr(entry, "specialised", False))
        for entry in apps.get_model(*model).objects.order_by("position", "name")
    ]


AUDIT_TRIGGERS = [
    *(f"assessments.{model}:insert_insert" for model in ("Questionnaire", "Section", "Question", "Choice")),
    "assessments.ScoringWeight:insert_insert",
    "assessments.ScoringWeight:update_update",
]


def load(apps, schema_editor):
    # Audited like any change: v1's published weights gain their direction sentences here, and v2
    # is published (the events name this migration as the reason). SQLite keeps no audit trail.
    if schema_editor.connection.vendor != "postgresql":
        _load(apps)
        return
    with pghistory.context(
        reason="Engine 2.0: questionnaire v2 published; v1 weights gain direction sentences"
    ):
        _load(apps)


def _load(apps):
    Questionnaire = apps.get_model("assessments", "Questionnaire")
    Section = apps.get_model("assessments", "Section")
    Question = apps.get_model("assessments", "Question")
    Choice = apps.get_model("assessments", "Choice")
    ScoringWeight = apps.get_model("assessments", "ScoringWeight")

    # v1: fill the new sentence columns only.
    for weight in ScoringWeight.objects.filter(question__questionnaire__name=NAME).select_related("question"):
        low, high = sentences(weight.question.code, weight.option, weight.target, weight.rationale)
        ScoringWeight.objects.filter(pk=weight.pk).update(sentence_low=low, sentence_high=high)

    if Questionnaire.objects.filter(name=NAME, version=2).exists():
        return
    questionnaire = Questionnaire.objects.create(
        name=NAME,
        version=2,
        status="published",
        published_at=timezone.now(),
        description="Recommends full-service, FSP or hybrid outsourcing, a per-function plan with "
        "delivery groups, a shortlist per group and the answers that could tip the decision.",
        parameters=PARAMETERS,
    )
    questions = {}
    for s_index, (title, description, items) in enumerate(sections_v2()):
        section = Section.objects.create(
            questionnaire=questionnaire, title=title, description=description, position=s_index
        )
        for q_index, (code, kind, label, text, help_text, required, choices, show_if) in enumerate(items):
            question = Question.objects.create(
                questionnaire=questionnaire,
                section=section,
                code=code,
                kind=kind,
                label=label,
                text=text,
                help_text=help_text,
                required=required,
                position=q_index,
                show_if=show_if,
            )
            questions[code] = question
            if isinstance(choices, str):
                rows = _catalog_rows(apps, choices)
            else:
                rows = [(value, label, False) for value, label in (choices or [])]
            Choice.objects.bulk_create(
                Choice(question=question, value=value, label=label, specialised=specialised, position=i)
                for i, (value, label, specialised) in enumerate(rows)
            )
    ScoringWeight.objects.bulk_create(
        ScoringWeight(
            question=questions[code],
            option=option,
            target=target,
            weight=weight,
            rationale=rationale,
            sentence_low=low,
            sentence_high=high,
        )
        for code, option, target, weight, rationale, low, high in weights_v2()
    )


def unload(apps, schema_editor):
    """Remove v2 while nobody has used it (the sentence columns go with migration 0009)."""
    Questionnaire = apps.get_model("assessments", "Questionnaire")
    v2 = Questionnaire.objects.filter(name=NAME, version=2).first()
    if v2 is None or apps.get_model("assessments", "Assessment").objects.filter(questionnaire=v2).exists():
        return
    deletes = [uri.replace(":insert_insert", ":delete_delete") for uri in AUDIT_TRIGGERS if "insert" in uri]
    with pgtrigger.ignore(*deletes):
        apps.get_model("assessments", "ScoringWeight").objects.filter(question__questionnaire=v2).delete()
        apps.get_model("assessments", "Choice").objects.filter(question__questionnaire=v2).delete()
        apps.get_model("assessments", "Question").objects.filter(questionnaire=v2).delete()
        apps.get_model("assessments", "Section").objects.filter(questionnaire=v2).delete()
        v2.delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0011_engine_2"), ("providers", "0002_reference_catalogs")]
    operations = [migrations.RunPython(load, unload)]
