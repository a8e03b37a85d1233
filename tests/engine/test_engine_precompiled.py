"""The SQL shipped with touchpoint: current, used on a first run, equal to what Ibis compiles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.engine.support import materialise, random_servqual
from touchpoint.engine import kano, servqual
from touchpoint.engine.demo_data import HOTEL, UTILITY, kano_survey
from touchpoint.engine.precompiled import MAX_FEATURES, build, shipped


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.exists() else []


@pytest.mark.slow
def test_the_shipped_sql_is_what_ibis_compiles_today() -> None:
    # Rebuilt from the expressions with the shipped SQL off; any change to the
    # engine that alters a query fails here until `make precompiled-sql` is run.
    document = shipped()
    assert document is not None, "precompiled_sql.zip is missing: run make precompiled-sql"
    fresh = build()
    assert len(fresh["entries"]) == 19 + 3 * MAX_FEATURES
    assert document == fresh, "the shipped SQL is stale: run make precompiled-sql"


def _pandas_floats(columns: dict[str, Any], folder: Path) -> Path:
    """Integer answers with blanks as pandas writes them: DOUBLE columns."""
    table = pa.table(
        {
            name: pa.array(np.asarray(values, dtype=float), from_pandas=True)
            if np.asarray(values).dtype.kind in "fi"
            else pa.array(values)
            for name, values in columns.items()
        }
    )
    path = folder / "floats.parquet"
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("form", ["parquet", "csv", "floats"])
@pytest.mark.parametrize("by", [None, "region"])
def test_servqual_first_run_uses_the_shipped_sql_and_equals_ibis(
    tmp_path: Path, form: str, by: str | None
) -> None:
    columns = random_servqual(250, seed=11)
    path = (
        _pandas_floats(columns, tmp_path)
        if form == "floats"
        else materialise(columns, form, tmp_path)
    )
    cache = tmp_path / "cache"
    first = servqual(path, by=by, sql_cache=cache).to_dict()
    assert _entries(cache) == []  # answered by the shipped SQL: nothing compiled
    live = servqual(path, by=by).to_dict()  # no cache: Ibis compiles
    assert json.dumps(first) == json.dumps(live)


@pytest.mark.parametrize("form", ["parquet", "csv", "floats"])
def test_kano_first_run_uses_the_shipped_sql_whatever_the_feature_names(
    tmp_path: Path, form: str
) -> None:
    # The hotel's and the utility's features, renamed to awkward names: quotes,
    # spaces and Chinese, to show the names never reach the shipped SQL.
    columns: dict[str, Any] = {}
    for industry, seed in ((UTILITY, 3), (HOTEL, 4)):
        for name, values in kano_survey(industry, 180, seed).items():
            if name != "respondent":
                columns[f'{industry.key} "{name[:-2]}" 功能{name[-2:]}'] = values
    path = (
        _pandas_floats(columns, tmp_path)
        if form == "floats"
        else materialise(columns, form, tmp_path)
    )
    cache = tmp_path / "cache"
    first = kano(path, sql_cache=cache).to_dict()
    assert _entries(cache) == []
    assert json.dumps(first) == json.dumps(kano(path).to_dict())
    assert first["features"][0]["feature"].startswith(f'{UTILITY.key} "')


def test_other_shapes_are_compiled_once_and_cached(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = MAX_FEATURES + 1
    columns = {
        f"F{k}_{side}": rng.integers(1, 6, 90).astype(float) for k in range(n) for side in "fd"
    }
    path = materialise(columns, "parquet", tmp_path)
    cache = tmp_path / "cache"
    first = kano(path, sql_cache=cache).to_dict()
    assert len(_entries(cache)) == 1  # more features than shipped: compiled, then kept
    assert kano(path, sql_cache=cache).to_dict() == first == kano(path).to_dict()
    assert len(_entries(cache)) == 1


def test_a_quote_in_the_group_column_name_is_only_an_identifier(tmp_path: Path) -> None:
    columns = random_servqual(120, seed=12)
    columns['area"; DROP TABLE x; --'] = columns.pop("region")
    path = materialise(columns, "parquet", tmp_path)
    by = 'area"; DROP TABLE x; --'
    report = servqual(path, by=by, sql_cache=tmp_path / "cache").to_dict()
    assert report == servqual(path, by=by).to_dict()
    assert sorted(g["group"] for g in servqual(path, by=by).to_dict()["groups"]) == [
        "east",
        "north",
        "west",
    ]


def test_a_first_run_on_a_common_shape_does_not_import_ibis(tmp_path: Path) -> None:
    path = materialise(random_servqual(40, seed=6), "parquet", tmp_path)
    script = (
        "import sys\n"
        "from touchpoint.engine import servqual\n"
        f"report = servqual({str(path)!r}, sql_cache={str(tmp_path / 'cache')!r})\n"
        "print(report.n_respondents, 'ibis' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "40 False"
