"""``touchpoint analyze …``: service-quality reports from survey files.

A thin layer over :mod:`touchpoint.engine`: parse arguments, run the analysis,
print JSON (full precision) or Rich tables (rounded, fitted to the terminal's
width: see :mod:`touchpoint.cli.tables`). Bad input exits with code 2 and one
message naming the file, row, column and value (or the malformed line). Heavy
modules (the engine, Ibis, Rich tables) are imported inside the commands so
that the ``touchpoint`` process starts fast.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from touchpoint.engine import AhpReport, CsiReport, KanoReport, ServqualReport, ZoneReport

__all__ = [
    "OutputFormat",
    "ahp_tables",
    "app",
    "csi_tables",
    "kano_tables",
    "print_reports",
    "servqual_tables",
    "zone_tables",
]

app = typer.Typer(
    help="Service-quality analyses of survey files.",
    no_args_is_help=True,
    rich_markup_mode="markdown",  # help paragraphs reflow to the terminal, brackets print as typed
)

#: Width of tables printed to a pipe or file (a terminal uses its own width).
_PIPE_WIDTH = 160

#: Files at least this large get a progress bar (when stderr is a terminal).
LARGE_FILE_BYTES = 16 * 1024 * 1024

_DIMENSION_LABELS = {
    "tangibles": "tangibles 有形性",
    "reliability": "reliability 可靠性",
    "responsiveness": "responsiveness 响应性",
    "assurance": "assurance 保证性",
    "empathy": "empathy 移情性",
}


class OutputFormat(StrEnum):
    """How a report is printed."""

    JSON = "json"
    TABLE = "table"


FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        help="json or table (default: table on a terminal, json otherwise).",
        case_sensitive=False,
    ),
]
FileArgument = Annotated[str, typer.Argument(help="CSV, Parquet or XLSX (first sheet).")]


@app.callback()
def _analyze() -> None:
    """Service-quality analyses of survey files."""


# ---------------------------------------------------------------- plumbing


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _resolve(output: OutputFormat | None) -> OutputFormat:
    if output is not None:
        return output
    return OutputFormat.TABLE if sys.stdout.isatty() else OutputFormat.JSON


def _emit(
    document: dict[str, Any], tables: Callable[[], Sequence[RenderableType]], fmt: Any
) -> None:
    if _resolve(fmt) is OutputFormat.JSON:
        from touchpoint.engine.documents import finite

        sys.stdout.write(json.dumps(finite(document), ensure_ascii=False, indent=2) + "\n")
        return
    from rich.console import Console

    # A pipe has no width: let tables take what they need instead of 80 columns,
    # unless COLUMNS asks for a width (as a terminal's own width does).
    asked = os.environ.get("COLUMNS", "").strip().isdigit()
    console = Console() if sys.stdout.isatty() or asked else Console(width=_PIPE_WIDTH)
    for renderable in tables():
        console.print(renderable)


def _sql_cache_dir() -> Path | None:
    """Where compiled SQL is cached: ``TOUCHPOINT_CACHE_DIR`` (empty = off) or the user cache.

    Default ``$XDG_CACHE_HOME/touchpoint/sql``, i.e. ``~/.cache/touchpoint/sql``.
    Only SQL is kept there (keyed by everything that shapes it), never results.
    """
    configured = os.environ.get("TOUCHPOINT_CACHE_DIR")
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "touchpoint" / "sql"


@contextmanager
def _progress_for(path: str) -> Iterator[Callable[[float], None] | None]:
    """A Rich progress bar on stderr for a large file read from a terminal session."""
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    if size < LARGE_FILE_BYTES or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(f"reading {Path(path).name}", total=1.0)
        yield lambda done: bar.update(task, completed=done)


class _Report(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Report)


def _report(
    file: str,
    analyse: Callable[[Callable[[float], None] | None], R],
    tables: Callable[[R], Sequence[RenderableType]],
    output: OutputFormat | None,
) -> None:
    """Run ``analyse`` on ``file`` (with a progress bar when large) and print its report;
    bad input exits 2 with the engine's one message."""
    from touchpoint.engine import InputError

    try:
        with _progress_for(file) as progress:
            report = analyse(progress)
    except InputError as exc:
        raise _fail(str(exc)) from None
    _emit(report.to_dict(), lambda: tables(report), output)


def _round(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.{digits}f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1
) -> Any:
    """A table: the first ``text_columns`` columns left-aligned, numbers right.

    Printed as one Rich table when it fits the console, otherwise split or
    one block per row, so that no value is cut (see :mod:`touchpoint.cli.tables`).
    """
    from touchpoint.cli.tables import FittedTable

    return FittedTable(title, headers, rows, text_columns)


def _gap_text(value: float | None) -> str:
    text = _round(value)
    if value is None:
        return text
    colour = "red" if value < -0.5 else ("yellow" if value < 0 else "green")
    return f"[{colour}]{text}[/]"


# ---------------------------------------------------------------- tables


def servqual_tables(report: ServqualReport, title: str = "SERVQUAL") -> list[RenderableType]:
    """Rich tables of a SERVQUAL report (dimensions, items, groups)."""
    dims = _table(
        f"{title}: dimensions (n = {report.n_respondents})",
        ["dimension", "E", "P", "gap P−E", "α(E)", "α(P)"],
        [
            [
                _DIMENSION_LABELS.get(d.dimension, d.dimension),
                _round(d.expectation),
                _round(d.perception),
                _gap_text(d.gap),
                _round(d.alpha_expectation),
                _round(d.alpha_perception),
            ]
            for d in report.dimensions
        ],
    )
    items = _table(
        f"{title}: items",
        ["item", "dimension", "n", "E", "P", "gap"],
        [
            [
                str(i.item),
                i.dimension,
                str(i.n),
                _round(i.expectation),
                _round(i.perception),
                _gap_text(i.gap),
            ]
            for i in report.items
        ],
        text_columns=2,
    )
    weights = (
        "none"
        if report.weights is None
        else ", ".join(f"{k} {v:.3f}" for k, v in report.weights.items())
    )
    summary = (
        f"unweighted SERVQUAL {_round(report.unweighted)}   "
        f"weighted {_round(report.weighted)}   weights: {weights}"
    )
    out: list[RenderableType] = [dims, items, summary]
    if report.groups:
        out.append(
            _table(
                f"{title}: gap by {report.by}",
                ["group", "n", *(d for d in _DIMENSION_LABELS), "unweighted", "weighted"],
                [
                    [
                        "(missing)" if g.group is None else str(g.group),
                        str(g.n_respondents),
                        *(_gap_text(d.gap) for d in g.dimensions),
                        _gap_text(g.unweighted),
                        _gap_text(g.weighted),
                    ]
                    for g in report.groups
                ],
            )
        )
    return out


def zone_tables(report: ZoneReport, title: str = "Zone of tolerance") -> list[RenderableType]:
    """Rich tables of a zone-of-tolerance report."""
    headers = ["adequate", "desired", "P", "MSA", "MSS", "below", "within", "above"]

    def cells(x: Any) -> list[str]:
        return [
            _round(x.adequate),
            _round(x.desired),
            _round(x.perception),
            _gap_text(x.msa),
            _round(x.mss),
            _share(x.share_below),
            _share(x.share_within),
            _share(x.share_above),
        ]

    return [
        _table(
            f"{title}: dimensions (n = {report.n_respondents})",
            ["dimension", *headers],
            [
                [_DIMENSION_LABELS.get(d.dimension, d.dimension), *cells(d)]
                for d in report.dimensions
            ],
        ),
        _table(
            f"{title}: items",
            ["item", "n", *headers],
            [[str(i.item), str(i.n), *cells(i)] for i in report.items],
        ),
    ]


def kano_tables(report: KanoReport, title: str = "Kano") -> list[RenderableType]:
    """Rich table of a Kano report."""
    rows = []
    for feature in report.features:
        d = feature.to_dict()
        counts = d["counts"]
        rows.append(
            [
                d["feature"],
                str(d["n"]),
                *(str(counts[c]) for c in ("A", "O", "M", "I", "R", "Q")),
                d["mode"] or "—",
                f"[bold]{d['category'] or '—'}[/]",
                _round(d["better"]),
                _round(d["worse"]),
                "yes" if d["significant"] else "no",
            ]
        )
    headers = ["feature", "n", "A", "O", "M", "I", "R", "Q", "mode", "category"]
    return [
        _table(title, [*headers, "Better", "Worse", "significant"], rows),
        "A attractive 魅力 · O one-dimensional 一元 · M must-be 必备 · I indifferent 无差异 · "
        "R reverse 逆向 · Q questionable 可疑",
    ]


def ahp_tables(report: AhpReport, title: str = "AHP") -> list[RenderableType]:
    """Rich tables of an AHP report."""
    root = report.root
    out: list[RenderableType] = [
        _table(
            f"{title}: weights",
            ["criterion", "weight"],
            [[c, _round(w, 4)] for c, w in report.weights.items()],
        ),
        f"λmax {root.lambda_max:.4f}   CI {root.ci:.4f}   CR {root.cr:.4f}   "
        + ("consistent (CR < 0.10)" if root.consistent else "[red]inconsistent (CR ≥ 0.10)[/]"),
    ]
    if report.global_weights is not None:
        out.append(
            _table(
                f"{title}: global weights",
                ["leaf", "global weight"],
                [[k, _round(v, 4)] for k, v in report.global_weights.items()],
            )
        )
        out.append(
            _table(
                f"{title}: nodes",
                ["node", "CR", "consistent"],
                [
                    [path or "(root)", _round(r.cr, 4), "yes" if r.consistent else "[red]no[/]"]
                    for path, r in report.nodes.items()
                ],
            )
        )
    return out


def csi_tables(report: CsiReport, title: str = "CSI") -> list[RenderableType]:
    """Rich table of a CSI report."""
    low, high = report.scale
    return [
        _table(
            f"{title} (scale {low:g}–{high:g}, n = {report.n})",
            ["indicator", "n", "mean", "score 0–100", "weight"],
            [
                [i.item, str(i.n), _round(i.mean), _round(i.score, 1), _round(i.weight)]
                for i in report.items
            ],
        ),
        f"[bold]CSI {_round(report.csi, 1)}[/] / 100",
    ]


# ---------------------------------------------------------------- commands


def _parse_dimension_weights(raw: str) -> dict[str, float]:
    from touchpoint.engine.options import dimension_weights

    text = raw
    if not raw.lstrip().startswith("{") and Path(raw).is_file():
        text = Path(raw).read_text(encoding="utf-8-sig")
    try:
        return dimension_weights(text)
    except json.JSONDecodeError as exc:
        raise _fail(f"--weights: not valid JSON ({exc.msg})") from None
    except ValueError as exc:
        raise _fail(f"--weights: {exc}") from None


@app.command("servqual")
def servqual_command(
    file: FileArgument,
    by: Annotated[str | None, typer.Option("--by", help="Report groups by this column.")] = None,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights", help='JSON object, e.g. {"tangibles": 10, "reliability": 30, …}.'
        ),
    ] = None,
    output: FormatOption = None,
) -> None:
    """SERVQUAL gaps (P − E) per item and dimension, alpha, weighted score."""
    parsed = None if weights is None else _parse_dimension_weights(weights)
    from touchpoint.engine.servqual_report import servqual

    _report(
        file,
        lambda progress: servqual(
            file, by=by, weights=parsed, progress=progress, sql_cache=_sql_cache_dir()
        ),
        servqual_tables,
        output,
    )


@app.command("zone")
def zone_command(file: FileArgument, output: FormatOption = None) -> None:
    """Zone of tolerance: MSA, MSS and shares below / within / above per item."""
    from touchpoint.engine.zone_report import zone

    _report(file, lambda progress: zone(file, progress=progress), zone_tables, output)


@app.command("kano")
def kano_command(file: FileArgument, output: FormatOption = None) -> None:
    """Kano category, Better/Worse and Fong's test for every NAME_f/NAME_d pair."""
    from touchpoint.engine.kano_report import kano

    _report(
        file,
        lambda progress: kano(file, progress=progress, sql_cache=_sql_cache_dir()),
        kano_tables,
        output,
    )


@app.command("ahp")
def ahp_command(
    file: Annotated[str, typer.Argument(help="JSON: criteria + matrix, or a hierarchy.")],
    output: FormatOption = None,
) -> None:
    """AHP weights, λmax, CI, CR (and global weights of a hierarchy)."""
    from touchpoint.engine import InputError
    from touchpoint.engine.ahp_report import ahp

    try:
        report = ahp(file)
    except InputError as exc:
        raise _fail(str(exc)) from None
    _emit(report.to_dict(), lambda: ahp_tables(report), output)


def _scale(raw: str) -> tuple[float, float]:
    """The ``--scale MIN-MAX`` option's two numbers."""
    from touchpoint.engine.options import scale_bounds

    bounds = scale_bounds(raw)
    if bounds is None:
        raise _fail(f"--scale: expected MIN-MAX such as 1-5, got {raw!r}")
    return bounds


def _parse_numbers(raw: str, option: str) -> list[float]:
    try:
        return [float(part) for part in raw.split(",")]
    except ValueError:
        raise _fail(f"{option}: expected comma-separated numbers, got {raw!r}") from None


@app.command("csi")
def csi_command(
    file: FileArgument,
    items: Annotated[str, typer.Option("--items", help="Indicator columns: C1,C2,…")],
    scale: Annotated[str, typer.Option("--scale", help="Answer scale MIN-MAX, e.g. 1-5.")],
    weights: Annotated[
        str | None, typer.Option("--weights", help="w1,w2,… (normalised; equal if omitted).")
    ] = None,
    output: FormatOption = None,
) -> None:
    """Customer satisfaction index on 0–100."""
    bounds = _scale(scale)
    names = [part.strip() for part in items.split(",") if part.strip()]
    parsed = None if weights is None else _parse_numbers(weights, "--weights")
    from touchpoint.engine.csi_report import csi

    _report(
        file,
        lambda progress: csi(file, names, bounds, parsed, progress=progress),
        csi_tables,
        output,
    )


def print_reports(console: Console, renderables: Sequence[RenderableType]) -> None:
    """Print tables and lines one after another (used by the demo report)."""
    for renderable in renderables:
        console.print(renderable)


# The customer-experience commands (nps, csat, ces, drivers, loyalty) register
# themselves on ``app``; imported last because they use the plumbing above.
from touchpoint.cli import analyze_experience  # noqa: E402, F401
