"""Typer commands: the ``touchpoint`` entry point."""
