"""Load the published and hand-worked oracles kept in tests/data/published."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PUBLISHED = Path(__file__).parent.parent / "data" / "published"


def load(name: str) -> dict[str, Any]:
    """The parsed JSON oracle ``name`` (with its ``source`` next to the numbers)."""
    document: dict[str, Any] = json.loads((PUBLISHED / name).read_text(encoding="utf-8"))
    assert document["source"], f"{name} must cite its source"
    return document
