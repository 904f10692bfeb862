"""Turns a stored recommendation (or a what-if snapshot) into what people read."""

from collections.abc import Mapping
from typing import Any

from django.utils.safestring import mark_safe

from assessments.charts import MODEL_LABELS, score_chart_svg
from assessments.matching import PROVIDER_KIND_LABELS

DELIVERY_LABELS = {
    "in_house": "In-house",
    "fsp": "FSP team",
    "full_service": "Full-service CRO",
    "boutique": "Boutique specialist",
}
TARGET_LABELS = {**MODEL_LABELS, "boutique": "Boutique fit"}


def _get(source: Any, name: str) -> Any:
    return source[name] if isinstance(source, Mapping) else getattr(source, name)


def recommendation_context(source: Any, *, drivers_limit: int | None = 12) -> dict[str, Any]:
    """Template context for a Recommendation instance or a snapshot dict of the same shape."""
    model = _get(source, "model")
    scores = _get(source, "scores")
    drivers = list(_get(source, "drivers"))
    model_drivers = [d for d in drivers if d["target"] != "boutique"]
    plan = [
        {**item, "delivery_label": DELIVERY_LABELS.get(item["delivery"], item["delivery"])}
        for item in _get(source, "function_plan")
    ]
    shortlist = [
        {**entry, "kind_label": PROVIDER_KIND_LABELS.get(entry["kind"], entry["kind"])}
        for entry in _get(source, "shortlist")
    ]
    return {
        "model": model,
        "model_label": MODEL_LABELS[model],
        "scores": [{"model": m, "label": MODEL_LABELS[m], "score": scores[m]} for m in MODEL_LABELS],
        "chart_svg": mark_safe(score_chart_svg(scores, chosen=model)),  # noqa: S308 - built from numbers and fixed labels
        "confidence": _get(source, "confidence"),
        "confidence_percent": round(100 * _get(source, "confidence")),
        "confidence_label": _get(source, "confidence_label"),
        "drivers_for": [
            {
                **d,
                "target_label": TARGET_LABELS.get(d["target"], d["target"]),
                "signed_points": f"{d['points']:+.1f}",
            }
            for d in model_drivers
            if d["points"] > 0
        ][:drivers_limit],
        "drivers_against": [
            {
                **d,
                "target_label": TARGET_LABELS.get(d["target"], d["target"]),
                "signed_points": f"{d['points']:+.1f}",
            }
            for d in model_drivers
            if d["points"] < 0
        ][:drivers_limit],
        "plan": plan,
        "boutique": _get(source, "boutique_fit"),
        "ai": _get(source, "ai_readiness"),
        "shortlist": shortlist,
        "engine_version": _get(source, "engine_version"),
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
