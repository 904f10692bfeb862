"""The one rounding rule for every number a person reads: page, chart, caption, PDF and API.

Points (scores 0–100, effects of answers, margins, leads, match scores, depths) are kept and shown
to one decimal, rounded half away from zero; a share shown as a percentage is a whole number by
the same rule. The engine stores numbers already rounded by `points`, and every surface formats
them with `format_points` / `format_signed` / `percent`, so a number never reads differently in
two places. Pure Python, no Django.
"""

import math


def _half_away_from_zero(value: float, scale: int) -> float:
    magnitude = math.floor(abs(value) * scale + 0.5) / scale
    return -magnitude if value < 0 else magnitude


def points(value: float) -> float:
    """A number of points rounded to one decimal (half away from zero): what is stored and shown."""
    if value >= 0:  # the engine's hot path (scores are never negative): one floor, no sign
        return math.floor(value * 10 + 0.5) / 10
    rounded = -(math.floor(-value * 10 + 0.5) / 10)
    return rounded if rounded else 0.0  # no "-0.0"


def format_points(value: float) -> str:
    """Points as text: "52.5"."""
    return f"{points(value):.1f}"


def format_signed(value: float) -> str:
    """An effect as text with its sign: "+3.8", "-1.2", "0.0"."""
    rounded = points(value)
    return f"{rounded:+.1f}" if rounded else "0.0"


def percent(fraction: float) -> int:
    """A share (0–1) as a whole percentage, by the same half-away-from-zero rule."""
    return int(_half_away_from_zero(100.0 * float(fraction), 1))
