"""The same Ibis expressions on PySpark local mode give DuckDB's reports within 1e-9."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.engine.support import close, materialise, random_servqual
from touchpoint.engine import csi, kano, servqual, zone
from touchpoint.engine.demo_data import UTILITY, kano_survey, zone_survey

pytestmark = [
    pytest.mark.slow,
    # py4j (PySpark's bridge to the JVM) leaves its local sockets to the garbage
    # collector; the resulting ResourceWarning is about the library, not our code.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local Spark session for the whole module (it takes seconds to start)."""
    pytest.importorskip("pyspark")
    import ibis
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("touchpoint-parity")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield ibis.pyspark.connect(session)
    finally:
        session.stop()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("parity")


def test_servqual_with_groups_and_weight_columns(spark: Any, folder: Path) -> None:
    path = materialise(random_servqual(400, seed=21), "parquet", folder)
    duck = servqual(path, by="region").to_dict()
    sparked = servqual(path, by="region", backend=spark).to_dict()
    assert duck["weights"] is not None and len(duck["groups"]) == 3
    assert close(sparked, duck, TOLERANCE)


def test_zone_kano_csi(spark: Any, folder: Path) -> None:
    zone_path = folder / "zone"
    zone_path.mkdir()
    path = materialise(zone_survey(UTILITY, 300, 5), "parquet", zone_path)
    assert close(zone(path, backend=spark).to_dict(), zone(path).to_dict(), TOLERANCE)
    kano_path = folder / "kano"
    kano_path.mkdir()
    path = materialise(kano_survey(UTILITY, 300, 5), "parquet", kano_path)
    assert close(kano(path, backend=spark).to_dict(), kano(path).to_dict(), TOLERANCE)
    csi_path = folder / "csi"
    csi_path.mkdir()
    columns = {"C1": np.array([7.0, 9.0, np.nan, 4.0]), "C2": np.array([8.0, 6.0, 5.0, np.nan])}
    path = materialise(columns, "parquet", csi_path)
    ours = csi(path, ["C1", "C2"], (1, 10), [2, 1], backend=spark).to_dict()
    assert close(ours, csi(path, ["C1", "C2"], (1, 10), [2, 1]).to_dict(), TOLERANCE)


def test_text_cells_are_checked_on_spark_too(spark: Any, folder: Path) -> None:
    csv_path = folder / "text"
    csv_path.mkdir()
    path = csv_path / "kano.csv"
    path.write_text("wifi_f,wifi_d\n1,5\n2,5\n3, 3\n,4\n", encoding="utf-8")
    assert close(kano(path, backend=spark).to_dict(), kano(path).to_dict(), TOLERANCE)
    bad = csv_path / "bad.csv"
    bad.write_text("wifi_f,wifi_d\n1,5\nyes,5\n", encoding="utf-8")
    from touchpoint.engine import InputError

    with pytest.raises(InputError, match=r"row 2, column wifi_f: text 'yes'"):
        kano(bad, backend=spark)


def test_nps_csat_ces_drivers_loyalty(spark: Any, folder: Path) -> None:
    from touchpoint.engine import ces, csat, drivers, loyalty, nps

    rng = np.random.default_rng(24)
    n = 300
    outcome = rng.integers(1, 8, n).astype(float)
    columns = {
        "NPS": rng.integers(0, 11, n).astype(float),
        "CSAT": rng.integers(1, 6, n).astype(float),
        "CES": rng.integers(1, 8, n).astype(float),
        "SAT": outcome,
        "A": np.clip(outcome + rng.integers(-1, 2, n), 1, 7),
        "B": rng.integers(1, 8, n).astype(float),
        "C": np.clip(outcome + rng.integers(-2, 3, n), 1, 7),
        "REP": rng.integers(0, 11, n).astype(float),
        "region": np.array(["north", "south", "east"] * (n // 3), dtype=object),
    }
    columns["CSAT"][5] = np.nan  # a blank is left out of that measure only
    scores_path = folder / "scores"
    scores_path.mkdir()
    path = materialise(columns, "parquet", scores_path)
    pairs: list[tuple[Any, Any]] = [
        (nps(path, by="region"), nps(path, by="region", backend=spark)),
        (csat(path, by="region"), csat(path, by="region", backend=spark)),
        (ces(path), ces(path, backend=spark)),
        (
            drivers(path, "SAT", ["A", "B", "C"]),
            drivers(path, "SAT", ["A", "B", "C"], backend=spark),
        ),
        (loyalty(path, "B", "REP"), loyalty(path, "B", "REP", backend=spark)),
    ]
    for duck, sparked in pairs:
        assert close(sparked.to_dict(), duck.to_dict(), TOLERANCE), duck
