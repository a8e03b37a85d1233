"""ECharts options (plain JSON) for the comparisons of issue 24: a measure's monthly
trend with its 95 % interval, and a wave's segments against the rest with the
significant ones marked. ``static/charts.js`` draws them as it draws every chart.

Months or segments without enough answers are gaps (``None``), never a number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from touchpoint.services.response_trends import MonthPoint
from touchpoint.services.segment_comparison import SegmentRow

__all__ = ["segment_bars", "trend_lines"]

_VALUE, _INTERVAL, _SIGNIFICANT, _PLAIN, _OVERALL = (
    "#3182ce",
    "#a0aec0",
    "#c53030",
    "#0b6e4f",
    "#4a5568",
)


def _shown(value: float | None, percent: bool) -> float | None:
    """A value as the chart shows it: shares in percent, three decimals."""
    if value is None:
        return None
    return round(value * 100 if percent else value, 3)


def trend_lines(
    months: Sequence[MonthPoint], label: str, percent: bool, _: Callable[[str], str]
) -> dict[str, Any]:
    """The measure month by month as a line with its interval's ends as dashed lines;
    a month without enough answers is a gap in all three."""
    lows = [None if m.ci95 is None else _shown(m.ci95[0], percent) for m in months]
    highs = [None if m.ci95 is None else _shown(m.ci95[1], percent) for m in months]
    dashed = {"type": "dashed", "width": 1}
    return {
        "color": [_VALUE, _INTERVAL, _INTERVAL],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 56, "right": 24, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": [m.month for m in months]},
        "yAxis": {
            "type": "value",
            "scale": True,
            "axisLabel": {"formatter": "{value}%" if percent else "{value}"},
        },
        "series": [
            {
                "name": label,
                "type": "line",
                "symbolSize": 8,
                "connectNulls": False,
                "data": [_shown(m.value, percent) for m in months],
            },
            {
                "name": _("95% interval, low"),
                "type": "line",
                "symbol": "none",
                "lineStyle": dashed,
                "data": lows,
            },
            {
                "name": _("95% interval, high"),
                "type": "line",
                "symbol": "none",
                "lineStyle": dashed,
                "data": highs,
            },
        ],
    }


def segment_bars(
    rows: Sequence[SegmentRow],
    names: Sequence[str],
    overall: float | None,
    percent: bool,
    _: Callable[[str], str],
) -> dict[str, Any]:
    """One bar per segment (``names`` are their shown labels, in order), red when it
    differs significantly from the rest of the wave; the wave's own value as a line. A
    segment without enough answers has no bar."""
    data = [
        {
            "value": _shown(r.value, percent),
            "itemStyle": {"color": _SIGNIFICANT if r.significant else _PLAIN},
        }
        for r in rows
    ]
    series: dict[str, Any] = {"name": _("Segment"), "type": "bar", "data": data}
    if overall is not None:
        series["markLine"] = {
            "silent": True,
            "symbol": "none",
            "lineStyle": {"color": _OVERALL, "type": "dashed"},
            "label": {"formatter": _("Whole wave")},
            "data": [{"yAxis": _shown(overall, percent)}],
        }
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 24, "top": 24, "bottom": 56},
        "xAxis": {"type": "category", "data": list(names), "axisLabel": {"interval": 0}},
        "yAxis": {
            "type": "value",
            "scale": True,
            "axisLabel": {"formatter": "{value}%" if percent else "{value}"},
        },
        "series": [series],
    }
