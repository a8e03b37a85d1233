"""The engine and the CLI use only public names of the libraries they call.

A private attribute (``table._find_backend()``, ``backend._run_pre_execute_hooks``)
can change or vanish in any Ibis or SQLAlchemy release; the public API is what
their changelogs promise to keep. Our own private helpers are reached as module
names (``touchpoint.engine._compat``) or on ``self``, never on a library object.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "touchpoint"
CHECKED = sorted([*(PACKAGE / "engine").glob("*.py"), *(PACKAGE / "cli").glob("*.py")])


def _private_uses(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value
            on_self = isinstance(owner, ast.Name) and owner.id in ("self", "cls")
            if node.attr.startswith("_") and not node.attr.startswith("__") and not on_self:
                found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            # getattr(backend, "_hook") is the same access spelt as a string.
            dynamic = node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) > 1
            named = node.args[1] if dynamic else None
            value = named.value if isinstance(named, ast.Constant) else None
            if isinstance(value, str) and value.startswith("_"):
                found.append((node.lineno, f"{node.func.id} {value}"))
    return found


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_private_attributes_of_other_objects(path: Path) -> None:
    uses = _private_uses(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    assert uses == [], f"{path.name}: private names used at lines {uses}"
