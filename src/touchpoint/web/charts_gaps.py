"""ECharts options of the five-gap report's page (``pages_gaps``), built in Python as
plain JSON in the style of ``web.charts``: the five gaps side by side with the largest
highlighted, gaps 5 and 1 per SERVQUAL dimension, and each service pledge's promise
against what was delivered. Each builder takes the report's JSON (``services.gaps``) and
the page's names; ``static/charts.js`` draws the options with the vendored ECharts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GapHeadline",
    "dimension_gaps_chart",
    "five_gaps_chart",
    "gap_headlines",
    "pledges_chart",
]

_COLOURS = ["#0b6e4f", "#3182ce", "#b7791f", "#c53030", "#6b46c1"]
_PLAIN = "#a0aec0"
_LARGEST = _COLOURS[3]


@dataclass(frozen=True)
class GapHeadline:
    """One gap's largest shortfall (0-1; None: not measured) and where it lies (a
    dimension, standard or pledge, in the page's words; "" for gap 2's overall share)."""

    gap: int
    shortfall: float | None
    where: str


def _largest_of(
    rows: Sequence[Mapping[str, Any]], label: Callable[[Mapping[str, Any]], str]
) -> tuple[float | None, str]:
    """The first row with the largest shortfall, as the service picks the report's largest."""
    measured = [r for r in rows if r["shortfall"] is not None]
    if not measured:
        return None, ""
    top = max(measured, key=lambda r: r["shortfall"])
    return top["shortfall"], label(top)


def _standard(s: Mapping[str, Any]) -> str:
    return str(s["metric"]) if s.get("item") is None else f"{s['metric']} · {s['item']}"


def gap_headlines(report: Mapping[str, Any], names: Mapping[str, str]) -> list[GapHeadline]:
    """Gaps 1-5, each with its largest shortfall: the worst dimension (gaps 1 and 5), the
    share of important items without a standard (gap 2), the worst standard (gap 3) and
    the worst pledge (gap 4). These are the candidates the report's ``largest`` is the
    largest of, so the gap it names is the tallest bar."""

    def dimension(d: Mapping[str, Any]) -> str:
        return names.get(d["dimension"], d["dimension"])

    def dims(part: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
        return [] if part is None else list(part["dimensions"])

    g3 = [] if report["gap3"] is None else report["gap3"]["standards"]
    g4 = [] if report["gap4"] is None else report["gap4"]["pledges"]
    found = {
        1: _largest_of(dims(report["gap1"]), dimension),
        2: (report["gap2"]["shortfall"], ""),
        3: _largest_of(g3, _standard),
        4: _largest_of(g4, lambda p: str(p["name"])),
        5: _largest_of(dims(report["gap5"]), dimension),
    }
    return [GapHeadline(gap, *found[gap]) for gap in range(1, 6)]


def five_gaps_chart(
    headlines: Sequence[GapHeadline], names: Mapping[str, str], largest: int | None
) -> dict[str, Any]:
    """The five gaps as bars of their largest shortfall in percent, the largest gap (the
    report's) in red and labelled, the others grey; an unmeasured gap has no bar."""

    def bar(h: GapHeadline) -> dict[str, Any]:
        value = None if h.shortfall is None else round(h.shortfall * 100, 1)
        colour = _LARGEST if h.gap == largest else _PLAIN
        return {"value": value, "itemStyle": {"color": colour}}

    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 16, "top": 24, "bottom": 40},
        "xAxis": {"type": "category", "data": [names[str(h.gap)] for h in headlines]},
        "yAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {
                "name": "shortfall",
                "type": "bar",
                "data": [bar(h) for h in headlines],
                "label": {"show": True, "position": "top", "formatter": "{c}%"},
            }
        ],
    }


def dimension_gaps_chart(
    report: Mapping[str, Any], names: Mapping[str, str], _: Callable[[str], str]
) -> dict[str, Any]:
    """Per SERVQUAL dimension, gap 5 (P - E: below zero, short of expectations) and, with a
    managers' wave, gap 1 (managers' E - customers' E) as grouped bars, in scale points."""
    g5 = report["gap5"]["dimensions"]
    series = [{"name": _("Gap 5 (P − E)"), "type": "bar", "data": [_round(d["gap"]) for d in g5]}]
    if report["gap1"] is not None:
        by = {d["dimension"]: d["gap"] for d in report["gap1"]["dimensions"]}
        series.append(
            {
                "name": _("Gap 1 (managers' E − customers' E)"),
                "type": "bar",
                "data": [_round(by.get(d["dimension"])) for d in g5],
            }
        )
    return {
        "color": [_COLOURS[3], _COLOURS[1]],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 40, "bottom": 40},
        "xAxis": {
            "type": "category",
            "data": [names.get(d["dimension"], d["dimension"]) for d in g5],
        },
        "yAxis": {"type": "value"},
        "series": series,
    }


def pledges_chart(pledges: Sequence[Mapping[str, Any]], _: Callable[[str], str]) -> dict[str, Any]:
    """Gap 4: each pledge's promised value beside the median delivered (business minutes),
    (the share within the promise is in the page's table); empty when there is no pledge."""
    if not pledges:
        return {}
    return {
        "color": [_COLOURS[0], _COLOURS[2]],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 56, "right": 16, "top": 40, "bottom": 56},
        "xAxis": {
            "type": "category",
            "data": [p["name"] for p in pledges],
            "axisLabel": {"interval": 0},
        },
        "yAxis": {"type": "value", "min": 0, "name": _("Business minutes")},
        "series": [
            {
                "name": _("Promised"),
                "type": "bar",
                "data": [_round(p["promised_value"]) for p in pledges],
            },
            {
                "name": _("Median delivered"),
                "type": "bar",
                "data": [_round(p["median"]) for p in pledges],
            },
        ],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
