"""``touchpoint analyze nps|csat|ces|drivers|loyalty``: customer-experience measures.

Registered on :data:`touchpoint.cli.analyze.app` (that module imports this one
last), with the same plumbing: JSON when piped or with ``--format json``, Rich
tables otherwise, exit 2 with one message naming the file, row, column and
value. Every command takes ``--by COLUMN``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from touchpoint.cli.analyze import (
    FileArgument,
    FormatOption,
    _report,
    _round,
    _scale,
    _share,
    _sql_cache_dir,
    _table,
    app,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

    from touchpoint.engine import (
        CesReport,
        CsatReport,
        DriversReport,
        LoyaltyReport,
        NpsReport,
    )

__all__ = ["ces_tables", "csat_tables", "drivers_tables", "loyalty_tables", "nps_tables"]

ByOption = Annotated[
    str | None, typer.Option("--by", help="Also analyse each group of this column alone.")
]


def _names(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _label(group: Any) -> str:
    return "(missing)" if group is None else str(group)


def _interval(ci: Sequence[float] | None, digits: int = 3) -> str:
    return "—" if ci is None else f"{_round(ci[0], digits)} … {_round(ci[1], digits)}"


def _rows(report: Any) -> list[tuple[str, dict[str, Any]]]:
    """(label, JSON object) of the overall analysis and then of each group."""
    document = report.to_dict()
    rows = [("(all)", {k: v for k, v in document.items() if k != "groups"})]
    rows += [(_label(g["group"]), g) for g in document.get("groups", [])]
    return rows


# ---------------------------------------------------------------- tables


def nps_tables(report: NpsReport, title: str = "NPS") -> list[RenderableType]:
    """Rich table of an NPS report (overall row, then one per group)."""
    return [
        _table(
            f"{title} (0–10; promoters 9–10, detractors 0–6)",
            ["group", "n", "promoters", "passives", "detractors", "NPS", "95% CI (adj. Wald)"],
            [
                [
                    label,
                    str(d["n"]),
                    str(d["promoters"]),
                    str(d["passives"]),
                    str(d["detractors"]),
                    _round(d["nps"], 1),
                    _interval(d["ci95"], 1),
                ]
                for label, d in _rows(report)
            ],
        )
    ]


def csat_tables(report: CsatReport, title: str = "CSAT") -> list[RenderableType]:
    """Rich table of a CSAT report."""
    low, high = report.scale
    return [
        _table(
            f"{title} (scale {low:g}–{high:g}; satisfied = top two points)",
            ["group", "n", "satisfied", "CSAT", "95% CI (Wilson)", "mean"],
            [
                [
                    label,
                    str(d["n"]),
                    str(d["satisfied"]),
                    _share(d["csat"]),
                    "—"
                    if d["ci95"] is None
                    else f"{_share(d['ci95'][0])} … {_share(d['ci95'][1])}",
                    _round(d["mean"], 2),
                ]
                for label, d in _rows(report)
            ],
        )
    ]


def ces_tables(report: CesReport, title: str = "CES") -> list[RenderableType]:
    """Rich table of a CES report."""
    low, high = report.scale
    return [
        _table(
            f"{title} (scale {low:g}–{high:g}; easy = top three points)",
            ["group", "n", "mean", "sd", "95% CI (t)", "easy"],
            [
                [
                    label,
                    str(d["n"]),
                    _round(d["mean"], 2),
                    _round(d["sd"], 2),
                    _interval(d["ci95"], 2),
                    _share(d["easy"]),
                ]
                for label, d in _rows(report)
            ],
        )
    ]


def drivers_tables(report: DriversReport, title: str = "Drivers") -> list[RenderableType]:
    """Rich tables of a driver analysis: one per analysis (overall, then groups)."""
    out: list[RenderableType] = []
    for label, d in _rows(report):
        name = title if label == "(all)" else f"{title}: {report.by} = {label}"
        out.append(
            _table(
                f"{name} (outcome {report.outcome}, n = {d['n']}, R² = {_round(d['r2'])})",
                ["item", "mean", "β", "relative weight", "rescaled %", "quadrant"],
                [
                    [
                        str(x["item"]),
                        _round(x["mean"], 2),
                        _round(x["beta"]),
                        _round(x["relative_weight"], 4),
                        _round(x["rescaled_weight"], 1),
                        x["quadrant"] or "—",
                    ]
                    for x in d["drivers"]
                ],
            )
        )
    return out


def loyalty_tables(report: LoyaltyReport, title: str = "Loyalty") -> list[RenderableType]:
    """Rich table of the loyalty quadrants (counts and shares per analysis)."""
    quadrants = ("true", "latent", "spurious", "none")
    return [
        _table(
            f"{title} (Dick & Basu; at a cut counts as high)",
            ["group", "n", "attitude cut", "repeat cut", *quadrants],
            [
                [
                    label,
                    str(d["n"]),
                    _round(d["attitude_cut"], 2),
                    _round(d["repeat_cut"], 2),
                    *(f"{d['counts'][q]} ({_share(d['shares'][q])})" for q in quadrants),
                ]
                for label, d in _rows(report)
            ],
        ),
        "true 现实忠诚 · latent 潜在忠诚 · spurious 表象忠诚 · none 非忠诚",
    ]


# ---------------------------------------------------------------- commands


@app.command("nps")
def nps_command(
    file: FileArgument,
    column: Annotated[str, typer.Option("--column", help="The 0–10 answers.")] = "NPS",
    by: ByOption = None,
    output: FormatOption = None,
) -> None:
    """Net Promoter Score with its adjusted-Wald 95% interval (Rocks 2016)."""
    from touchpoint.engine.score_reports import nps

    _report(
        file,
        lambda progress: nps(file, column, by=by, progress=progress, sql_cache=_sql_cache_dir()),
        nps_tables,
        output,
    )


@app.command("csat")
def csat_command(
    file: FileArgument,
    column: Annotated[str, typer.Option("--column", help="The satisfaction answers.")] = "CSAT",
    scale: Annotated[str, typer.Option("--scale", help="Answer scale MIN-MAX.")] = "1-5",
    by: ByOption = None,
    output: FormatOption = None,
) -> None:
    """CSAT: share in the top two points with its Wilson 95% interval, and the mean."""
    bounds = _scale(scale)
    from touchpoint.engine.score_reports import csat

    _report(
        file,
        lambda progress: csat(
            file, column, bounds, by=by, progress=progress, sql_cache=_sql_cache_dir()
        ),
        csat_tables,
        output,
    )


@app.command("ces")
def ces_command(
    file: FileArgument,
    column: Annotated[str, typer.Option("--column", help="The effort answers.")] = "CES",
    scale: Annotated[
        str, typer.Option("--scale", help="Answer scale MIN-MAX (MAX = very easy).")
    ] = "1-7",
    by: ByOption = None,
    output: FormatOption = None,
) -> None:
    """Customer effort score: mean, sd, t 95% interval, share in the top three points."""
    bounds = _scale(scale)
    from touchpoint.engine.score_reports import ces

    _report(
        file,
        lambda progress: ces(
            file, column, bounds, by=by, progress=progress, sql_cache=_sql_cache_dir()
        ),
        ces_tables,
        output,
    )


@app.command("drivers")
def drivers_command(
    file: FileArgument,
    outcome: Annotated[str, typer.Option("--outcome", help="Overall satisfaction column.")],
    items: Annotated[str, typer.Option("--items", help="Attribute columns: A,B,C…")],
    by: ByOption = None,
    output: FormatOption = None,
) -> None:
    """Driver analysis: betas, Johnson's relative weights, importance–performance quadrants."""
    from touchpoint.engine.drivers_report import drivers

    _report(
        file,
        lambda progress: drivers(
            file, outcome, _names(items), by=by, progress=progress, sql_cache=_sql_cache_dir()
        ),
        drivers_tables,
        output,
    )


@app.command("loyalty")
def loyalty_command(
    file: FileArgument,
    attitude: Annotated[str, typer.Option("--attitude", help="Relative-attitude column.")],
    repeat: Annotated[str, typer.Option("--repeat", help="Repeat-patronage column.")],
    attitude_cut: Annotated[
        float | None, typer.Option("--attitude-cut", help="High from here (default: median).")
    ] = None,
    repeat_cut: Annotated[
        float | None, typer.Option("--repeat-cut", help="High from here (default: median).")
    ] = None,
    by: ByOption = None,
    output: FormatOption = None,
) -> None:
    """Loyalty quadrants (Dick & Basu 1994): true, latent, spurious, none."""
    from touchpoint.engine.loyalty_report import loyalty

    _report(
        file,
        lambda progress: loyalty(
            file,
            attitude,
            repeat,
            attitude_cut=attitude_cut,
            repeat_cut=repeat_cut,
            by=by,
            progress=progress,
            sql_cache=_sql_cache_dir(),
        ),
        loyalty_tables,
        output,
    )
