"""``touchpoint demo-data`` writes the seeded surveys; the demo report tells its story."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from touchpoint.cli.demo_data import print_quality_report


def test_demo_data_command_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "touchpoint",
            "demo-data",
            str(out),
            "--respondents",
            "50",
            "--format",
            "csv",
            "--seed",
            "7",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    names = {p.name for p in out.iterdir()}
    for industry in ("utility", "hotel"):
        for part in ("servqual.csv", "zone.csv", "kano.csv", "csi.csv", "items.csv", "ahp.json"):
            assert f"{industry}_{part}" in names
    assert not any(name.endswith(".parquet") for name in names)
    header = (out / "utility_servqual.csv").read_text(encoding="utf-8").splitlines()[0]
    assert '"channel"' in header and '"E22"' in header and '"W_empathy"' in header
    assert len((out / "hotel_kano.csv").read_text(encoding="utf-8").splitlines()) == 51
    assert "95598" in (out / "utility_items.csv").read_text(encoding="utf-8")
    assert "客史" not in (out / "utility_items.csv").read_text(encoding="utf-8")


def test_print_quality_report(tmp_path: Path) -> None:
    buffer = io.StringIO()
    print_quality_report(tmp_path / "report", Console(file=buffer, width=160))
    text = buffer.getvalue()
    for heading in (
        "SERVQUAL: dimensions",
        "Zone of tolerance",
        "Kano",
        "AHP: global weights",
        "CSI",
        "Erlang C",
    ):
        assert heading in text
    assert "供电企业" in text and "酒店" in text
    assert "95598 hotline" in text
