"""ECharts options built in Python (plain JSON) for the supervisor board.

The page embeds each option as JSON and ``static/charts.js`` hands it to the vendored
ECharts; no chart logic lives in JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from touchpoint.domain.kpi import Shift
from touchpoint.services.kpi import HostileLoad, KpiRow

__all__ = ["hostile_chart", "kpi_chart"]

_COLOURS = ["#0b6e4f", "#3182ce", "#b7791f", "#c53030", "#6b46c1"]


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def kpi_chart(rows: list[KpiRow], _: Callable[[str], str]) -> dict[str, Any]:
    """Grouped bars per team/agent: SLA compliance, first-contact resolution, resolution
    rate and reopen rate, in percent."""
    series_defs: list[tuple[str, Callable[[KpiRow], float | None]]] = [
        ("SLA compliance", lambda r: r.kpis.sla_compliance),
        ("First-contact resolution", lambda r: r.kpis.first_contact_resolution_rate),
        ("Resolution rate", lambda r: r.kpis.resolution_rate),
        ("Reopen rate", lambda r: r.kpis.reopen_rate),
    ]
    return {
        "color": _COLOURS,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 40, "bottom": 56},
        "xAxis": {
            "type": "category",
            "data": [r.label for r in rows],
            "axisLabel": {"interval": 0, "rotate": 0},
        },
        "yAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {"name": _(name), "type": "bar", "data": [_pct(get(r)) for r in rows]}
            for name, get in series_defs
        ],
    }


def hostile_chart(
    loads: list[HostileLoad], _: Callable[[str], str], shift_label: Callable[[Shift], str]
) -> dict[str, Any]:
    """Stacked bars: hostile contacts per agent, one stack segment per shift."""
    agents = sorted({h.agent for h in loads})
    by = {(h.agent, h.shift): h.hostile_contacts for h in loads}
    return {
        "color": ["#b7791f", "#c53030", "#4a5568"],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": agents},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": shift_label(s),
                "type": "bar",
                "stack": "shift",
                "data": [by.get((a, s), 0) for a in agents],
            }
            for s in Shift
        ],
    }
