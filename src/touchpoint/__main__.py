"""``python -m touchpoint`` runs the CLI."""

from touchpoint.cli.main import app

app()
