"""``touchpoint sla …``: business-time arithmetic, replay and what-if of SLA policies."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(help="SLA clock: add, between, replay, whatif.", no_args_is_help=True)


@app.callback()
def _sla() -> None:
    """SLA clock: add, between, replay, whatif."""
