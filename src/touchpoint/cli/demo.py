"""``touchpoint demo``: the main job that ``make run`` starts."""

from __future__ import annotations

import typer

__all__ = ["register"]


def demo() -> None:
    """Run the main job on embedded defaults."""
    typer.echo("touchpoint demo: nothing to show yet")


def register(app: typer.Typer) -> None:
    """Attach the top-level demo commands to ``app``."""
    app.command("demo")(demo)
