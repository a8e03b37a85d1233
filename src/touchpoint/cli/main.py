"""The ``touchpoint`` command: sub-apps are registered here, each in its own module."""

from __future__ import annotations

import typer

from touchpoint.cli import analyze, demo, demo_data, imports, sla

__all__ = ["app"]

app = typer.Typer(
    name="touchpoint",
    help="Customer-perception-centred service management.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help paragraphs reflow to the terminal's width (Rich markup would keep the source's
    # line breaks, then wrap them again) and brackets print as typed.
    rich_markup_mode="markdown",
)
app.add_typer(analyze.app, name="analyze")
app.add_typer(sla.app, name="sla")
app.add_typer(imports.app, name="import")
demo.register(app)
demo_data.register(app)
