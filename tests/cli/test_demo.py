"""``touchpoint demo --no-serve`` (what ``make run`` does before serving) works end to end."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def test_demo_prints_report_migrates_and_seeds(tmp_path: Path) -> None:
    env = {**os.environ, "TOUCHPOINT_DATA_DIR": str(tmp_path / "var")}
    env.pop("TOUCHPOINT_DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "touchpoint", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "SERVQUAL" in run.stdout
    assert "demo data seeded" in run.stdout
    assert "agent / agent-demo-1" in run.stdout
    db = tmp_path / "var" / "touchpoint.sqlite3"
    with sqlite3.connect(db) as conn:
        (orders,) = conn.execute("select count(*) from work_orders").fetchone()
        (users,) = conn.execute("select count(*) from users").fetchone()
    assert orders > 0
    assert users >= 6
    # A second run finds the demo already there and keeps it.
    again = subprocess.run(
        [sys.executable, "-m", "touchpoint", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert "already seeded" in again.stdout
