"""``touchpoint demo --no-serve`` (what ``make run`` does before serving) works end to end."""

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path


def _touchpoint(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m touchpoint ARGS`` on the embedded database under ``data_dir``."""
    environment = {**os.environ, "TOUCHPOINT_DATA_DIR": str(data_dir), **env}
    environment.pop("TOUCHPOINT_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "touchpoint", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def test_demo_prints_report_migrates_and_seeds(tmp_path: Path) -> None:
    run = _touchpoint(tmp_path / "var", "demo", "--no-serve")
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
    again = _touchpoint(tmp_path / "var", "demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    assert "already seeded" in again.stdout


def test_a_taken_port_stops_demo_and_serve_before_any_work(tmp_path: Path) -> None:
    """A second ``make run`` (the port already served) is told at once which port and how
    to choose another, and nothing is written."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for command in (["demo"], ["serve", "--port", str(port)]):
            run = _touchpoint(tmp_path / "var", *command, TOUCHPOINT_PORT=str(port))
            assert run.returncode == 1, run.stderr
            assert f"127.0.0.1:{port} is in use" in run.stderr
            assert f"TOUCHPOINT_PORT={port + 1} make run" in run.stderr
            assert "SERVQUAL" not in run.stdout
    assert not (tmp_path / "var").exists()
