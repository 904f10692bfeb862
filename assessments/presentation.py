"""Turns a stored recommendation (or a what-if snapshot) into what people read.

Reads both snapshot shapes: engine 2.0.0 (grouped drivers, delivery groups with a shortlist each,
plan gaps, sensitivity, tipping points) and engine 1.0.0 (flat drivers, one shortlist), which
keeps its own sentences as they were stored. Every number goes through `assessments.figures`.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.safestring import mark_safe

from assessments.charts import MODEL_LABELS, score_chart_svg
from assessments.figures import format_points, format_signed, percent
from assessments.matching import PROVIDER_KIND_LABELS
from assessments.planning import GROUP_LABELS

DELIVERY_LABELS = {
    "in_house": "In-house",
    "fsp": "FSP team",
    "full_service": "Full-service CRO",
    "boutique": "Boutique specialist",
}
TARGET_LABELS = {**MODEL_LABELS, "boutique": "Boutique fit"}
SHOWN_TIPPING_POINTS = 3
SHOWN_SENSITIVITY = 5


def _get(source: Any, name: str, default: Any = None) -> Any:
    if isinstance(source, Mapping):
        return source.get(name, default)
    return getattr(source, name, default)


def _driver_rows(drivers) -> list[dict[str, Any]]:
    return [
        {
            **d,
            "target_label": TARGET_LABELS.get(d["target"], d["target"]),
            "signed_points": format_signed(d["points"]),
        }
        for d in drivers
    ]


def _entry_rows(entries) -> list[dict[str, Any]]:
    return [
        {
            **entry,
            "kind_label": PROVIDER_KIND_LABELS.get(entry["kind"], entry["kind"]),
            "score_text": format_points(entry["score"]),
        }
        for entry in entries
    ]


def is_engine_2(source: Any) -> bool:
    """Whether a snapshot has engine 2's shape (grouped drivers and delivery groups)."""
    return _get(source, "driver_groups") is not None and _get(source, "delivery_groups") is not None


def recommendation_context(source: Any, *, drivers_limit: int | None = 12) -> dict[str, Any]:
    """Template context for a Recommendation instance or a snapshot dict of either shape."""
    model = _get(source, "model")
    scores = _get(source, "scores")
    confidence = _get(source, "confidence")
    plan = [
        {**item, "delivery_label": DELIVERY_LABELS.get(item["delivery"], item["delivery"])}
        for item in _get(source, "function_plan")
    ]
    shortlist = _entry_rows(_get(source, "shortlist"))
    boutique = _get(source, "boutique_fit")
    ai = _get(source, "ai_readiness")
    context = {
        "model": model,
        "model_label": MODEL_LABELS[model],
        "scores": [
            {"model": m, "label": MODEL_LABELS[m], "score": scores[m], "score_text": format_points(scores[m])}
            for m in MODEL_LABELS
        ],
        "chart_svg": mark_safe(score_chart_svg(scores, chosen=model)),  # noqa: S308 - built from numbers and fixed labels
        "confidence": confidence,
        "confidence_percent": percent(confidence),
        "confidence_label": _get(source, "confidence_label"),
        "plan": plan,
        "boutique": {**boutique, "score_text": format_points(boutique["score"])},
        "ai": {**ai, "score_text": format_points(ai["score"])},
        "shortlist": shortlist,
        "engine_version": _get(source, "engine_version"),
        "is_v2": is_engine_2(source),
    }
    if context["is_v2"]:
        context.update(_engine_2_context(source, shortlist, drivers_limit))
    else:
        drivers = [d for d in _get(source, "drivers") if d["target"] != "boutique"]
        context["drivers_for"] = _driver_rows(d for d in drivers if d["points"] > 0)[:drivers_limit]
        context["drivers_against"] = _driver_rows(d for d in drivers if d["points"] < 0)[:drivers_limit]
    return context


def _engine_2_context(
    source: Any, shortlist: list[dict[str, Any]], drivers_limit: int | None
) -> dict[str, Any]:
    groups = _get(source, "driver_groups")
    alternative = groups.get("alternative")
    basis = _get(source, "confidence_basis") or {}
    tipping = _get(source, "tipping_points")
    by_group: dict[str, list[dict[str, Any]]] = {}
    for entry in shortlist:
        by_group.setdefault(entry.get("delivery", ""), []).append(entry)
    delivery_groups = [
        {
            **group,
            "label": group.get("label") or GROUP_LABELS.get(group["delivery"], group["delivery"]),
            "shortlist": by_group.get(group["delivery"], []),
            "outsourced": group["delivery"] != "in_house",
        }
        for group in _get(source, "delivery_groups")
    ]
    return {
        "drivers_for": _driver_rows(groups["for"])[:drivers_limit],
        "drivers_against": _driver_rows(groups["against"])[:drivers_limit],
        "alternative": (
            {
                **alternative,
                "label": MODEL_LABELS.get(alternative["model"], alternative["model"]),
                "score_text": format_points(alternative["score"]),
                "margin_text": format_points(alternative["margin"]),
                "drivers": _driver_rows(alternative.get("drivers") or []),
            }
            if alternative
            else None
        ),
        "notes": groups.get("notes") or [],
        "confidence_sentence": basis.get("sentence", ""),
        "delivery_groups": delivery_groups,
        "plan_gaps": _get(source, "plan_gaps") or [],
        "sensitivity": (_get(source, "sensitivity") or [])[:SHOWN_SENSITIVITY],
        "tipping_points": None if tipping is None else tipping[:SHOWN_TIPPING_POINTS],
    }


def plan_change_rows(plan_changes, config) -> list[dict[str, str]]:
    """A what-if's delivery-plan changes in words: function names and delivery labels, not codes."""
    names = {function.code: function.name for function in config.functions}
    return [
        {
            "function": names.get(change["function"], change["function"]),
            "before": DELIVERY_LABELS.get(change["before"], change["before"]) or "not in scope",
            "after": DELIVERY_LABELS.get(change["after"], change["after"]) or "not in scope",
        }
        for change in plan_changes
    ]


def shortlist_change_rows(shortlist_changes) -> list[dict[str, str]]:
    """A what-if's shortlist changes in words: the group by its label, places as "#2"."""
    return [
        {
            "name": change["name"],
            "group": GROUP_LABELS.get(change.get("delivery") or "", ""),
            "before": f"#{change['before']}" if change["before"] else "not listed",
            "after": f"#{change['after']}" if change["after"] else "not listed",
        }
        for change in shortlist_changes
    ]


def answer_rows(config, answers: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each question in order with the answer in words (the report's record of the inputs)."""
    from assessments.scoring import MATRIX_LEVELS, visible_questions

    rows = []
    functions = {f.code: f.name for f in config.functions}
    for question in visible_questions(config, answers):
        value = answers.get(question.code)
        if value is None:
            text = "Not answered"
        elif question.kind == "matrix":
            text = "; ".join(
                f"{functions.get(code, code)}: {MATRIX_LEVELS[level]}" for code, level in value.items()
            )
        elif question.kind == "multi":
            text = ", ".join(question.choice_labels.get(v, v) for v in value) or "None"
        elif question.kind == "single":
            text = question.choice_labels.get(value, value)
        elif question.kind == "boolean":
            text = "Yes" if value else "No"
        elif question.kind == "scale":
            text = f"{value} of 5"
        else:
            text = str(value)
        rows.append({"code": question.code, "label": question.label, "text": question.text, "answer": text})
    return rows
