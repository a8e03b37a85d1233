"""ECharts option of the AHP page (``pages_ahp``), in the style of ``web.charts``: the
five SERVQUAL dimensions' AHP weights as bars, drawn by ``static/charts.js``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ahp_weights_chart"]

_BRAND = "#0b6e4f"
_WARN = "#b7791f"


def ahp_weights_chart(
    weights: Mapping[str, float], names: Mapping[str, str], consistent: bool
) -> dict[str, Any]:
    """Each dimension's weight in percent as a bar labelled with its value; the bars are
    amber when the judgements are not consistent enough (CR ≥ 0.10), so a chart copied
    out of the page still carries the warning."""
    return {
        "color": [_BRAND if consistent else _WARN],
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 16, "top": 24, "bottom": 40},
        "xAxis": {"type": "category", "data": [names.get(d, d) for d in weights]},
        "yAxis": {"type": "value", "min": 0, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {
                "name": "AHP",
                "type": "bar",
                "data": [round(w * 100, 1) for w in weights.values()],
                "label": {"show": True, "position": "top", "formatter": "{c}%"},
            }
        ],
    }
