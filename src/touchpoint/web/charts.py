"""ECharts options built in Python (plain JSON) for the supervisor board.

The page embeds each option as JSON and ``static/charts.js`` hands it to the vendored
ECharts; no chart logic lives in JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from touchpoint.domain.kpi import Shift
from touchpoint.services.kpi import HostileLoad, KpiRow

__all__ = [
    "gap_bars",
    "gap_bars_by_segment",
    "hostile_chart",
    "ipa_matrix",
    "kano_scatter",
    "kpi_chart",
    "loyalty_quadrants",
    "score_interval",
    "score_intervals",
    "zone_band",
]

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


# Charts of a wave's analyses (``pages_analysis``): each takes the analysis's JSON (the
# API's, ``services.wave_analysis``) and the page's gettext.


def gap_bars(dimensions: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """SERVQUAL: the gap P − E of each dimension as a bar (below zero: short of
    expectations)."""
    return {
        "color": [_COLOURS[3]],
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 16, "top": 24, "bottom": 40},
        "xAxis": {
            "type": "category",
            "data": [names.get(d["dimension"], d["dimension"]) for d in dimensions],
        },
        "yAxis": {"type": "value"},
        "series": [
            {"name": "P − E", "type": "bar", "data": [_round(d["gap"]) for d in dimensions]}
        ],
    }


def zone_band(
    dimensions: list[dict[str, Any]], names: dict[str, str], _: Callable[[str], str]
) -> dict[str, Any]:
    """Zone of tolerance: per dimension the band from adequate to desired service (a
    stacked bar on an invisible base) and the perceived service as a marker."""
    labels = [names.get(d["dimension"], d["dimension"]) for d in dimensions]
    return {
        "color": [_COLOURS[1], _COLOURS[3]],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": "base",
                "type": "bar",
                "stack": "zone",
                "itemStyle": {"color": "transparent"},
                "tooltip": {"show": False},
                "data": [_round(d["adequate"]) for d in dimensions],
            },
            {
                "name": _("Zone of tolerance"),
                "type": "bar",
                "stack": "zone",
                "data": [_round(d["desired"] - d["adequate"]) for d in dimensions],
            },
            {
                "name": _("Perception"),
                "type": "scatter",
                "symbolSize": 14,
                "data": [_round(d["perception"]) for d in dimensions],
            },
        ],
    }


def kano_scatter(features: list[dict[str, Any]], _: Callable[[str], str]) -> dict[str, Any]:
    """Kano: each feature at (|Worse|, Better); features whose category passes Fong's
    test drawn as filled dots, the others hollow."""

    def point(f: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": f["feature"],
            "value": [_round(abs(f["worse"] or 0.0)), _round(f["better"] or 0.0)],
            "itemStyle": {"opacity": 1.0 if f["significant"] else 0.35},
        }

    return {
        "color": [_COLOURS[0]],
        "tooltip": {"trigger": "item"},
        "grid": {"left": 56, "right": 24, "top": 24, "bottom": 48},
        "xAxis": {"type": "value", "min": 0, "max": 1, "name": "|Worse|"},
        "yAxis": {"type": "value", "min": 0, "max": 1, "name": "Better"},
        "series": [
            {
                "name": _("Features"),
                "type": "scatter",
                "symbolSize": 14,
                "label": {"show": True, "position": "right", "formatter": "{b}"},
                "data": [point(f) for f in features],
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "data": [{"xAxis": 0.5}, {"yAxis": 0.5}],
                },
            }
        ],
    }


def score_interval(label: str, value: float | None, ci95: Sequence[float | None]) -> dict[str, Any]:
    """A score (NPS, CSAT, CES) as a dot with its 95% interval as a line (None: not
    defined, e.g. the interval of a single CES answer)."""
    return score_intervals(label, [(label, value, ci95)])


def score_intervals(
    label: str, rows: Sequence[tuple[str, float | None, Sequence[float | None]]]
) -> dict[str, Any]:
    """Scores side by side (all answers and each segment): one row per ``(name, score,
    (low, high))``, the score as a dot on its 95% interval's line."""
    names = [name for name, _, _ in rows]
    lines: list[list[Any]] = []
    for name, _, (lo, hi) in rows:
        lines += [[None, name]] if lines else []  # no value: the line breaks between rows
        lines += [[_round(lo), name], [_round(hi), name]]
    return {
        "color": [_COLOURS[1], _COLOURS[0]],
        "tooltip": {"trigger": "item"},
        "grid": {"left": 96, "right": 24, "top": 24, "bottom": 40},
        "xAxis": {"type": "value", "scale": True},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [
            {
                "name": "95%",
                "type": "line",
                "symbol": "none",
                "connectNulls": False,
                "lineStyle": {"width": 4},
                "data": lines,
            },
            {
                "name": label,
                "type": "scatter",
                "symbolSize": 16,
                "data": [[_round(value), name] for name, value, _ in rows],
            },
        ],
    }


def gap_bars_by_segment(
    segments: Sequence[tuple[str, list[dict[str, Any]]]], names: dict[str, str]
) -> dict[str, Any]:
    """SERVQUAL by segment: the gap P − E of each dimension, one bar series per segment
    (all answers first)."""
    dimensions = [d["dimension"] for d in segments[0][1]] if segments else []
    return {
        "color": _COLOURS,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": [names.get(d, d) for d in dimensions]},
        "yAxis": {"type": "value"},
        "series": [
            {"name": label, "type": "bar", "data": [_round(d["gap"]) for d in dims]}
            for label, dims in segments
        ],
    }


def ipa_matrix(drivers: list[dict[str, Any]], _: Callable[[str], str]) -> dict[str, Any]:
    """Importance-performance: each item at (rescaled weight, mean), the cuts at the
    means over the items as lines. No chart when there is no item or R² is 0 (the weights
    cannot be rescaled: ``rescaled_weight`` is None)."""
    if not drivers or any(d["rescaled_weight"] is None for d in drivers):
        return {}
    importance = sum(d["rescaled_weight"] for d in drivers) / len(drivers)
    performance = sum(d["mean"] for d in drivers) / len(drivers)
    return {
        "color": [_COLOURS[2]],
        "tooltip": {"trigger": "item"},
        "grid": {"left": 56, "right": 24, "top": 24, "bottom": 48},
        "xAxis": {"type": "value", "name": _("Importance"), "min": 0},
        "yAxis": {"type": "value", "name": _("Performance"), "scale": True},
        "series": [
            {
                "name": _("Items"),
                "type": "scatter",
                "symbolSize": 12,
                "label": {"show": True, "position": "right", "formatter": "{b}"},
                "data": [
                    {"name": d["item"], "value": [_round(d["rescaled_weight"]), _round(d["mean"])]}
                    for d in drivers
                ],
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "data": [{"xAxis": _round(importance)}, {"yAxis": _round(performance)}],
                },
            }
        ],
    }


def loyalty_quadrants(shares: Mapping[str, float | None], names: dict[str, str]) -> dict[str, Any]:
    """Dick & Basu: the four loyalty quadrants laid out as the matrix (attitude across,
    repeat patronage up), each cell's share as the dot's size and label (shares are None
    when no answer pairs both columns)."""
    cells = {"true": (1, 1), "latent": (1, 0), "spurious": (0, 1), "none": (0, 0)}
    return {
        "color": [_COLOURS[0]],
        "tooltip": {"trigger": "item"},
        "grid": {"left": 72, "right": 24, "top": 24, "bottom": 48},
        "xAxis": {"type": "category", "data": [names["attitude_low"], names["attitude_high"]]},
        "yAxis": {"type": "category", "data": [names["repeat_low"], names["repeat_high"]]},
        "series": [
            {
                "type": "scatter",
                "data": [
                    {
                        "name": names[key],
                        "value": [x, y, _round(_percent(shares[key]))],
                        "symbolSize": 20 + 100 * (shares[key] or 0.0),
                    }
                    for key, (x, y) in cells.items()
                ],
                "label": {"show": True, "formatter": "{b}"},
            }
        ],
    }


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
