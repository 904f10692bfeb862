"""Charts as SVG, generated in Python: the same markup serves the admin, the portal and the PDF."""

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from assessments.figures import format_points
from assessments.scoring import MODEL_LABELS, MODELS

MODEL_COLOURS = {"full_service": "#1f4e79", "fsp": "#2e7d5b", "hybrid": "#8a5a00"}


def score_chart_svg(scores: Mapping[str, float], *, chosen: str | None = None, width: int = 520) -> str:
    """A horizontal bar per model, 0–100, the chosen model marked. Accessible: titled, with text."""
    return bar_chart_svg(
        [(MODEL_LABELS[m], float(scores.get(m, 0.0)), MODEL_COLOURS[m], m == chosen) for m in MODELS],
        title="Score per outsourcing model (0–100)",
        width=width,
    )


def bar_chart_svg(
    bars: Sequence[tuple[str, float, str, bool]], *, title: str, width: int = 520, maximum: float = 100.0
) -> str:
    label_width, value_width, bar_height, gap, top = 150, 60, 26, 12, 8
    plot = width - label_width - value_width
    height = top * 2 + len(bars) * (bar_height + gap) - gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value, colour, highlighted) in enumerate(bars):
        y = top + index * (bar_height + gap)
        length = max(0.0, min(1.0, value / maximum)) * plot
        weight = "bold" if highlighted else "normal"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.68:.1f}" text-anchor="end" '
            f'font-weight="{weight}" fill="#1a1a1a">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{plot}" height="{bar_height}" fill="#eceff3" rx="3"/>'
        )
        outline = ' stroke="#000" stroke-width="2"' if highlighted else ""
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{colour}" rx="3"{outline}/>'
        )
        parts.append(
            f'<text x="{label_width + plot + 8}" y="{y + bar_height * 0.68:.1f}" font-weight="{weight}" '
            f'fill="#1a1a1a">{format_points(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
