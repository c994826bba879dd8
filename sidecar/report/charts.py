"""SVG charts for the HTML report, drawn by leather (pure Python, SVG only, no scripts).

Charts take the report's suppressed figures, never the raw counts: a count shown as "<5" is
drawn as zero and its label says "<5", so a chart cannot reveal what a table hides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import leather

from sidecar.report.periods import period_start

WIDTH = 720
MAX_TICKS = 6
ALLOW_COLOUR = "#1b7837"
DENY_COLOUR = "#b2182b"
BAR_COLOUR = "#4a6fa5"
_FONT = "Helvetica, Arial, sans-serif"


def _print_friendly_theme() -> None:
    # leather keeps its theme in module settings; a white background prints cleanly.
    leather.theme.background_color = "#ffffff"
    for name in ("title", "legend", "axis_title", "tick"):
        setattr(leather.theme, f"{name}_font_family", _FONT)
    leather.theme.label_color = "#444444"
    leather.theme.tick_color = "#dddddd"
    leather.theme.tick_font_size = 12


def decisions_over_time(periods: Sequence[Mapping[str, object]]) -> str:
    """A line chart of allows and denies per period."""
    _print_friendly_theme()
    chart = leather.Chart("Allows and denies per period")
    labels = {_start(p): str(p["period"]) for p in periods}
    highest = max(_drawn(_outcomes(p)[o]) for p in periods for o in ("allow", "deny"))
    chart.add_y_scale(0, max(highest, 1))
    starts = sorted(labels)
    for outcome, colour in (("allow", ALLOW_COLOUR), ("deny", DENY_COLOUR)):
        points = [(_start(p), _drawn(_outcomes(p)[outcome])) for p in periods]
        if len(points) == 1:  # a line needs two points
            chart.add_dots(points, name=outcome, fill_color=colour)
        else:
            chart.add_line(points, name=outcome, stroke_color=colour)
    if len(starts) == 1:
        chart.add_x_scale(starts[0] - timedelta(days=1), starts[0] + timedelta(days=1))
    step = max(1, -(-len(starts) // MAX_TICKS))
    chart.add_x_axis(
        ticks=starts[::step], tick_formatter=lambda value, index, count: labels.get(value, "")
    )
    return str(chart.to_svg(width=WIDTH, height=320))


def bars(title: str, counts: Mapping[str, object]) -> str:
    """Horizontal bars, one per key, labelled with the shown count."""
    _print_friendly_theme()
    chart = leather.Chart(title)
    rows = [(_drawn(count), f"{key} ({count})") for key, count in counts.items()]
    chart.add_bars(rows, fill_color=BAR_COLOUR)
    height = 90 + 26 * len(rows)
    return str(chart.to_svg(width=WIDTH, height=height))


def _start(period: Mapping[str, object]) -> datetime:
    start = period_start(str(period["period"]))
    return datetime(start.year, start.month, start.day)


def _outcomes(period: Mapping[str, object]) -> Mapping[str, object]:
    outcomes = period["outcomes"]
    assert isinstance(outcomes, Mapping)
    return outcomes


def _drawn(count: object) -> int:
    return count if isinstance(count, int) else 0
