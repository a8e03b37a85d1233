"""The compiled-SQL cache: a warm run equals a cold one, and a changed layout misses.

These tests switch the shipped SQL off (it would answer the common shapes before
the cache is asked); tests/engine/test_engine_precompiled.py covers it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.engine.support import materialise, random_servqual
from touchpoint.engine import InputError, kano, servqual
from touchpoint.engine.cells import column_kind
from touchpoint.engine.demo_data import UTILITY, kano_survey
from touchpoint.engine.sources import duckdb_kind
from touchpoint.engine.sql_cache import precompiled_off

DUCKDB_TYPES = [
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL(18,3)",
    "DECIMAL(38,0)",
    "VARCHAR",
    "BOOLEAN",
    "DATE",
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "BLOB",
    "INTEGER[]",
    "STRUCT(a INTEGER)",
    "UUID",
    "INTERVAL",
    "TIME",
]


@pytest.mark.parametrize("type_name", DUCKDB_TYPES)
def test_column_kind_without_ibis_matches_ibis(type_name: str) -> None:
    from ibis.backends.sql.datatypes import DuckDBType

    assert duckdb_kind(type_name) == column_kind(DuckDBType.from_string(type_name))


@pytest.fixture(autouse=True)
def _no_shipped_sql() -> Iterator[None]:
    with precompiled_off():
        yield


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.exists() else []


def test_cold_and_warm_runs_give_identical_reports(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = materialise(random_servqual(300, seed=4), "parquet", tmp_path)
    plain = servqual(path, by="region").to_dict()
    cold = servqual(path, by="region", sql_cache=cache).to_dict()
    assert len(_entries(cache)) == 1
    warm = servqual(path, by="region", sql_cache=cache).to_dict()
    assert len(_entries(cache)) == 1  # a hit writes nothing new
    # Exact equality, not a tolerance: the same SQL gives the same sums.
    assert json.dumps(cold) == json.dumps(warm) == json.dumps(plain)
    kano_dir = tmp_path / "kano"
    kano_dir.mkdir()
    kano_path = materialise(kano_survey(UTILITY, 200, 3), "csv", kano_dir)
    first = kano(kano_path, sql_cache=cache).to_dict()
    assert json.dumps(kano(kano_path, sql_cache=cache).to_dict()) == json.dumps(first)
    assert json.dumps(kano(kano_path).to_dict()) == json.dumps(first)
    assert len(_entries(cache)) == 2


def test_a_changed_layout_or_option_misses(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    columns = random_servqual(120, seed=9)
    path = materialise(columns, "parquet", tmp_path)
    servqual(path, sql_cache=cache)
    assert len(_entries(cache)) == 1
    # Same names, other column types (float64 instead of int16): a new entry.
    table = pq.read_table(path)
    floats = pa.table(
        {n: table[n].cast(pa.float64()) if n != "region" else table[n] for n in table.column_names}
    )
    other = tmp_path / "floats.parquet"
    pq.write_table(floats, other)
    assert servqual(other, sql_cache=cache).to_dict() == servqual(path).to_dict()
    assert len(_entries(cache)) == 2
    servqual(path, by="region", sql_cache=cache)
    assert len(_entries(cache)) == 3
    fixed = dict.fromkeys(("tangibles", "reliability", "responsiveness", "assurance", "empathy"), 1)
    servqual(path, weights=fixed, sql_cache=cache)  # no W_* columns read
    assert len(_entries(cache)) == 4


def test_bad_cells_are_still_found_on_a_warm_run(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    columns = random_servqual(50, seed=2)
    good = tmp_path / "good"
    good.mkdir()
    servqual(materialise(columns, "parquet", good), sql_cache=cache)
    columns["P7"][5] = 9.0
    bad = tmp_path / "bad"
    bad.mkdir()
    path = materialise(columns, "parquet", bad)
    with pytest.raises(InputError) as caught:
        servqual(path, sql_cache=cache)
    assert len(_entries(cache)) == 1  # the layout is the same: this was a hit
    assert str(caught.value) == f"{path}: row 6, column P7: value 9 is outside the scale 1–7"


def test_a_corrupt_or_foreign_entry_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = materialise(random_servqual(60, seed=5), "parquet", tmp_path)
    expected = servqual(path, sql_cache=cache).to_dict()
    (entry,) = _entries(cache)
    stored = json.loads(entry.read_text(encoding="utf-8"))
    # An entry whose key does not match (e.g. a hash collision) is never used.
    entry.write_text(json.dumps({"key": "other", "sql": "SELECT 1"}), encoding="utf-8")
    assert servqual(path, sql_cache=cache).to_dict() == expected
    assert json.loads(entry.read_text(encoding="utf-8")) == stored
    entry.write_text("{not json", encoding="utf-8")
    assert servqual(path, sql_cache=cache).to_dict() == expected


def test_a_warm_run_does_not_import_ibis(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = materialise(random_servqual(40, seed=6), "parquet", tmp_path)
    script = (
        "import sys\n"
        "from touchpoint.engine import servqual\n"
        "from touchpoint.engine.sql_cache import precompiled_off\n"
        "with precompiled_off():\n"
        f"    report = servqual({str(path)!r}, sql_cache={str(cache)!r})\n"
        "print(report.n_respondents, 'ibis' in sys.modules)\n"
    )

    def run() -> str:
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        return result.stdout.strip()

    assert run() == "40 True"  # cold: compiled with Ibis
    assert run() == "40 False"  # warm: the cached SQL ran on DuckDB directly


def test_answer_count_and_regression_analyses_go_through_the_cache(tmp_path: Path) -> None:
    """NPS, CSAT, CES, loyalty and drivers read through the cache too: a warm run equals a
    cold one and an uncached one, one entry per shape, and a bad cell is still named."""
    from touchpoint.engine.drivers_report import drivers
    from touchpoint.engine.loyalty_report import loyalty
    from touchpoint.engine.score_reports import ces, csat, nps

    cache = tmp_path / "cache"
    columns = random_servqual(200, seed=8)
    path = materialise(columns, "parquet", tmp_path)
    items = [f"P{i}" for i in range(2, 9)]
    runs: dict[str, Callable[[Path | None], Any]] = {
        "nps": lambda c: nps(path, "P1", by="region", sql_cache=c),
        "csat": lambda c: csat(path, "P2", (1, 7), sql_cache=c),
        "ces": lambda c: ces(path, "P3", (1, 7), sql_cache=c),
        "loyalty": lambda c: loyalty(path, "P4", "E4", sql_cache=c),
        "drivers": lambda c: drivers(path, "P1", items, by="region", sql_cache=c),
    }
    for name, run in runs.items():
        plain = json.dumps(run(None).to_dict())
        assert json.dumps(run(cache).to_dict()) == plain, name
        assert json.dumps(run(cache).to_dict()) == plain, name
    # CSAT and CES read one column on the same 1-7 scale: the same SQL, one entry for
    # both (the column's name is not part of it); NPS (0-10, by region), loyalty and
    # drivers one each.
    assert len(_entries(cache)) == 4
    columns["P1"][3] = 11.0  # off NPS's 0-10 scale, in a file of the same shape
    bad = tmp_path / "bad"
    bad.mkdir()
    bad_path = materialise(columns, "parquet", bad)
    with pytest.raises(InputError) as caught:
        nps(bad_path, "P1", by="region", sql_cache=cache)
    assert len(_entries(cache)) == 4  # a hit
    assert str(caught.value).startswith(f"{bad_path}: row 4, column P1: value 11")
