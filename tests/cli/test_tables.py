"""Report tables are readable at 80 columns: no value is cut to ``fre…`` or ``0.…``.

A table that fits is printed as before; a wider one is split into column
groups (row labels repeated) or, on a very narrow terminal, printed as one
``key: value`` block per row.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, RenderableType

from touchpoint.cli.analyze import (
    ahp_tables,
    csi_tables,
    kano_tables,
    servqual_tables,
    zone_tables,
)
from touchpoint.cli.demo_data import DataFormat, write_demo_data
from touchpoint.cli.tables import FittedTable
from touchpoint.engine import ahp, csi, kano, servqual, zone


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo_data(folder, respondents={"utility": 60, "hotel": 60}, data_format=DataFormat.CSV)
    return folder


def render(renderables: Sequence[RenderableType], width: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None)
    for renderable in renderables:
        console.print(renderable)
    return buffer.getvalue()


def three(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@pytest.fixture(scope="module")
def reports(demo: Path) -> dict[str, tuple[list[RenderableType], list[str]]]:
    """Each analysis's tables and the rounded numbers they must show in full."""
    folder = demo
    sq = servqual(folder / "utility_servqual.csv", by="channel")
    zn = zone(folder / "utility_zone.csv")
    kn = kano(folder / "utility_kano.csv")
    hierarchy = ahp(folder / "utility_ahp.json")
    index = csi(folder / "utility_csi.csv", ["C1", "C2", "C3"], (1, 10))
    return {
        "servqual": (
            servqual_tables(sq),
            [three(g.weighted) for g in sq.groups]
            + [three(d.gap) for g in sq.groups for d in g.dimensions]
            + [three(i.gap) for i in sq.items],
        ),
        "zone": (
            zone_tables(zn),
            [three(i.msa) for i in zn.items] + [three(i.mss) for i in zn.items],
        ),
        "kano": (
            kano_tables(kn),
            [f["feature"] for f in kn.to_dict()["features"]]
            + [three(f["better"]) for f in kn.to_dict()["features"]]
            + [three(f["worse"]) for f in kn.to_dict()["features"]],
        ),
        "ahp": (
            ahp_tables(hierarchy),
            [f"{w:.4f}" for w in (hierarchy.global_weights or {}).values()],
        ),
        "csi": (csi_tables(index), [three(i.mean) for i in index.items]),
    }


@pytest.mark.parametrize("analysis", ["servqual", "zone", "kano", "ahp", "csi"])
def test_every_analysis_is_whole_at_80_columns(
    reports: dict[str, tuple[list[RenderableType], list[str]]], analysis: str
) -> None:
    tables, numbers = reports[analysis]
    text = render(tables, 80)
    assert "…" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    missing = [number for number in numbers if number not in text]
    assert missing == []


def test_wide_terminals_print_the_plain_table(
    reports: dict[str, tuple[list[RenderableType], list[str]]],
) -> None:
    """At a width where the table fits, the output is exactly Rich's table."""
    tables, _ = reports["kano"]
    fitted = tables[0]
    assert isinstance(fitted, FittedTable)
    assert render([fitted], 160) == render([fitted.table()], 160)
    assert "(continued)" in render([fitted], 80)


def test_a_narrow_terminal_gets_one_block_per_row() -> None:
    table = FittedTable(
        "Kano",
        ["feature", "n", "category", "Better", "Worse"],
        [["outage_notification_sms", "412", "M", "0.259", "-0.593"]],
    )
    text = render([table], 24)
    assert "…" not in text
    lines = [line.rstrip() for line in text.splitlines()]
    assert lines[0] == "Kano"
    assert "Better:   0.259" in lines and "Worse:    -0.593" in lines
    assert any(line.startswith("feature:") for line in lines)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "touchpoint", "analyze", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_tables_at_columns_80(demo: Path, tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "80", "TOUCHPOINT_CACHE_DIR": str(tmp_path / "sql")}
    path = str(demo / "utility_kano.csv")
    table = _run(env, "kano", path, "--format", "table")
    assert table.returncode == 0, table.stderr
    assert "…" not in table.stdout
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    document: dict[str, Any] = json.loads(_run(env, "kano", path, "--format", "json").stdout)
    rounded: Callable[[float], str] = three
    for feature in document["features"]:
        assert feature["feature"] in table.stdout
        assert rounded(feature["better"]) in table.stdout
        assert rounded(feature["worse"]) in table.stdout
