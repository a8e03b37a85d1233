"""Every docstring example in touchpoint.quality runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ahp",
    "csi",
    "drivers",
    "kano",
    "loyalty",
    "reliability",
    "servqual",
    "sigma",
    "staffing",
    "zone",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"touchpoint.quality.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def test_quality_imports_nothing_above_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys, touchpoint.quality.servqual, touchpoint.quality.kano, "
        "touchpoint.quality.ahp, touchpoint.quality.staffing, touchpoint.quality.drivers;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('ibis','duckdb','pandas','polars')"
        " or m.startswith(('touchpoint.engine','touchpoint.cli'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
