"""``touchpoint demo`` and ``touchpoint serve``: the main job that ``make run`` starts.

``demo`` prints the service-quality report of the bundled demo surveys, migrates the
embedded database, seeds a 95598 hotline day (with an outage incident) and a hotel,
then serves the desk. ``serve`` only migrates and serves.
"""

from __future__ import annotations

import errno
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from touchpoint.settings import Settings

__all__ = ["prepare_database", "register"]

DEMO_LOGINS = (
    ("admin", "admin-demo-1"),
    ("supervisor", "supervisor-demo-1"),
    ("agent", "agent-demo-1"),
    ("agent2", "agent2-demo-1"),
    ("hotel", "hotel-demo-1"),
    ("analyst", "analyst-demo-1"),
)


def prepare_database(settings: Settings, seed: bool) -> str:
    """Migrate the desk's database (``settings``': the embedded file in the data folder
    unless a URL is set) and, with ``seed``, seed the demo once; its URL."""
    from touchpoint.services.seed import seed_demo
    from touchpoint.storage.db import make_engine, make_session_factory, session_scope
    from touchpoint.storage.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url()
    upgrade(url)
    if seed:
        engine = make_engine(url)
        try:
            with session_scope(make_session_factory(engine)) as session:
                report = seed_demo(session, datetime.now(UTC))
            state = "already seeded" if report.already_seeded else "seeded"
            typer.echo(f"database {url}: migrated, demo data {state}")
        finally:
            engine.dispose()
    return url


def _check_port_free(host: str, port: int) -> None:
    """Stop before any work when another process listens on ``host:port`` (a second
    ``make run``, say), naming the way out, rather than after the report and the seed
    with uvicorn's "address already in use"."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            typer.echo(
                f"error: {host}:{port} is in use (another touchpoint server?); stop it, "
                f"or serve on another port: TOUCHPOINT_PORT={port + 1} make run, "
                f"or touchpoint serve --port {port + 1}",
                err=True,
            )
            raise typer.Exit(1) from None


def _serve(settings: Settings) -> None:
    import uvicorn

    from touchpoint.web import create_site

    # The server runs the escalation sweep itself, every ``settings.sweep_seconds``.
    app = create_site(settings, sweep=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Prepare and print, but do not start the server.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Where the demo survey files are written.")
    ] = None,
) -> None:
    """Run the main job on embedded defaults (SQLite file, DuckDB)."""
    from touchpoint.cli import demo_data
    from touchpoint.settings import Settings

    settings = Settings()
    if not no_serve:
        _check_port_free(settings.host, settings.port)
    demo_data.print_quality_report(out or settings.data_dir / "demo")
    prepare_database(settings, seed=True)
    url = f"http://{settings.host}:{settings.port}/"
    typer.echo(f"\nService desk: {url}")
    typer.echo("Demo logins: " + ", ".join(f"{u} / {p}" for u, p in DEMO_LOGINS))
    if not no_serve:
        _serve(settings)


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Migrate the database and serve the desk and its API.

    The server runs the SLA escalation sweep every TOUCHPOINT_SWEEP_SECONDS seconds
    (60; 0: only when asked) and the outbox dispatcher."""
    from touchpoint.settings import Settings

    settings = Settings()
    # ``--host``/``--port`` win over the environment, for the survey links too.
    settings = settings.model_copy(
        update={"host": host or settings.host, "port": port or settings.port}
    )
    _check_port_free(settings.host, settings.port)
    prepare_database(settings, seed=False)
    _serve(settings)


def register(app: typer.Typer) -> None:
    """Attach the top-level demo commands to ``app``."""
    app.command("demo")(demo)
    app.command("serve")(serve)
