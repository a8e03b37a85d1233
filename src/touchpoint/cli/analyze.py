"""``touchpoint analyze …``: service-quality reports from survey files."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(help="Service-quality analyses of survey files.", no_args_is_help=True)


@app.callback()
def _analyze() -> None:
    """Service-quality analyses of survey files."""
