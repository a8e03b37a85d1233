"""The entry point is installed and lists its command groups."""

import subprocess
import sys


def test_touchpoint_help_lists_groups() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "touchpoint", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for group in ("analyze", "sla", "demo"):
        assert group in out
