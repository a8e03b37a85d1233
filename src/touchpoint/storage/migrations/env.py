"""Alembic environment: the URL comes from ``-x url=…``, the config or the caller's connection."""

from __future__ import annotations

from alembic import context
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from sqlalchemy import Connection

# The survey tables, the five-gap registers and the merge tables are declared in modules
# of their own, on the same metadata.
import touchpoint.storage.gap_models
import touchpoint.storage.merge_models
import touchpoint.storage.survey_models  # noqa: F401
from touchpoint.storage.customer_search import is_search_index
from touchpoint.storage.db import make_engine
from touchpoint.storage.models import Base

config = context.config
target_metadata = Base.metadata


def include_name(
    name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames
) -> bool:
    """Autogenerate compares models with the database, except the search index (its FTS5
    table and trigram indexes are made by revision 0006, not by a model)."""
    return not is_search_index(name, type_)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through a connection handed over by ``upgrade`` or one opened from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("alembic: pass the database with -x url=…")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("alembic: offline mode is not supported; migrate a live database")
run_migrations_online()
