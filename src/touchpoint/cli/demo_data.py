"""``touchpoint demo-data``: write the seeded demo surveys; print the demo quality report.

The generators live in :mod:`touchpoint.engine.demo_data` (pure, seeded); this
module only writes their columns as CSV and/or Parquet files and, for
``touchpoint demo``, reads them back through the engine like any user file.
Sample calendar, policy, events and case files of ``touchpoint sla`` are
written beside them (:mod:`touchpoint.cli.sla_samples`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["DataFormat", "print_quality_report", "register", "write_demo_data"]

DEFAULT_SEED = 95598
DEFAULT_RESPONDENTS = {"utility": 800, "hotel": 500}


class DataFormat(StrEnum):
    """Which file formats ``demo-data`` writes."""

    CSV = "csv"
    PARQUET = "parquet"
    BOTH = "both"


def _is_answer(name: str) -> bool:
    """Answer columns are written as nullable small integers, not floats."""
    if name.endswith(("_f", "_d")) or name.startswith("W_") or name == "NPS":
        return True
    return name[:1] in {"E", "P", "A", "D", "C"} and name[1:].isdigit()


def _arrow(columns: dict[str, Any]) -> Any:
    import pyarrow as pa

    arrays = {}
    for name, values in columns.items():
        if _is_answer(name):
            arrays[name] = pa.array(values, from_pandas=True).cast(pa.int16())
        else:
            arrays[name] = pa.array(values)
    return pa.table(arrays)


def _write(table: Any, stem: Path, formats: Sequence[str]) -> list[Path]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    written = []
    if "csv" in formats:
        path = stem.with_suffix(".csv")
        pacsv.write_csv(table, path)
        written.append(path)
    if "parquet" in formats:
        path = stem.with_suffix(".parquet")
        pq.write_table(table, path)
        written.append(path)
    return written


def write_demo_data(
    out_dir: Path,
    seed: int = DEFAULT_SEED,
    respondents: dict[str, int] | None = None,
    data_format: DataFormat = DataFormat.BOTH,
) -> list[Path]:
    """Write every demo survey of both industries to ``out_dir``; return the paths.

    The sample inputs of ``touchpoint sla`` come last (see :mod:`touchpoint.cli.sla_samples`).
    """
    from touchpoint.cli.sla_samples import write_sla_samples
    from touchpoint.engine import demo_data as gen

    counts = {**DEFAULT_RESPONDENTS, **(respondents or {})}
    formats = ["csv", "parquet"] if data_format is DataFormat.BOTH else [data_format.value]
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for key, industry in gen.INDUSTRIES.items():
        n = counts[key]
        surveys = {
            "servqual": gen.servqual_survey(industry, n, seed),
            "zone": gen.zone_survey(industry, n, seed),
            "kano": gen.kano_survey(industry, n, seed),
            "csi": gen.csi_survey(industry, n, seed),
        }
        for name, columns in surveys.items():
            written += _write(_arrow(columns), out_dir / f"{key}_{name}", formats)
        written += _write(_arrow(gen.item_wording(industry)), out_dir / f"{key}_items", ["csv"])
        features = {
            "feature": list(industry.kano_features),
            "en": [v[0] for v in industry.kano_features.values()],
            "zh": [v[1] for v in industry.kano_features.values()],
        }
        written += _write(_arrow(features), out_dir / f"{key}_kano_features", ["csv"])
        ahp_path = out_dir / f"{key}_ahp.json"
        ahp_path.write_text(
            json.dumps(gen.ahp_document(industry, seed), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
        written.append(ahp_path)
    written += write_sla_samples(out_dir, seed, formats)
    return written


def print_quality_report(
    out_dir: Path | str, console: Console | None = None, seed: int = DEFAULT_SEED
) -> None:
    """Generate the demo data in ``out_dir`` and print the full quality report."""
    from rich.console import Console
    from rich.rule import Rule

    from touchpoint.cli.analyze import (
        ahp_tables,
        csi_tables,
        kano_tables,
        print_reports,
        servqual_tables,
        zone_tables,
    )
    from touchpoint.engine import ahp, csi, kano, servqual, zone
    from touchpoint.engine.demo_data import INDUSTRIES
    from touchpoint.quality.staffing import staffing

    console = Console() if console is None else console
    folder = Path(out_dir)
    write_demo_data(folder, seed=seed, data_format=DataFormat.BOTH)
    console.print(f"[dim]demo data written to {folder}[/]")
    for key, industry in INDUSTRIES.items():
        console.print(Rule(f"[bold]{industry.name_en} · {industry.name_zh}"))
        survey = folder / f"{key}_servqual.parquet"
        print_reports(console, servqual_tables(servqual(survey, by=industry.segment_column)))
        print_reports(console, zone_tables(zone(folder / f"{key}_zone.parquet")))
        print_reports(console, kano_tables(kano(folder / f"{key}_kano.parquet")))
        print_reports(console, ahp_tables(ahp(folder / f"{key}_ahp.json")))
        print_reports(
            console, csi_tables(csi(folder / f"{key}_csi.csv", ["C1", "C2", "C3"], (1, 10)))
        )
        if key == "utility":
            plan = staffing(contacts=420, interval_seconds=1800, aht_seconds=240)
            console.print(
                "95598 staffing (Erlang C, 420 calls per half-hour, AHT 240 s, 80/20): "
                f"[bold]{plan.agents} agents[/], service level {plan.service_level:.1%}, "
                f"ASA {plan.average_speed_of_answer:.1f} s, occupancy {plan.occupancy:.1%}"
            )


def demo_data(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the files to.")] = Path(
        "demo-data"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = DEFAULT_SEED,
    respondents: Annotated[
        int | None, typer.Option("--respondents", help="Respondents per industry survey.")
    ] = None,
    data_format: Annotated[
        DataFormat, typer.Option("--format", help="csv, parquet or both.")
    ] = DataFormat.BOTH,
) -> None:
    """Write seeded demo surveys (utility 95598 hotline and hotel, zh/en wording).

    Also writes sample inputs of touchpoint sla: sla_calendar.json, sla_policy.json,
    sla_events.csv/.parquet and sla_case.json (formats: docs/sla-formats.md).
    """
    if respondents is not None and respondents < 1:
        typer.echo("error: --respondents must be at least 1", err=True)
        raise typer.Exit(code=2)
    counts = None if respondents is None else dict.fromkeys(DEFAULT_RESPONDENTS, respondents)
    written = write_demo_data(out_dir, seed=seed, respondents=counts, data_format=data_format)
    for path in written:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Attach ``touchpoint demo-data`` to ``app``."""
    app.command("demo-data")(demo_data)
