"""``touchpoint import``: customers, transactions and survey answers from CSV or XLSX files
into the desk's database, all rows or none, as the API and the import pages take them.

For files too large for a web request (its time limit, ``TOUCHPOINT_REQUEST_SECONDS``,
and the upload limit): a utility's customer file of hundreds of thousands of rows is
loaded on the server. The database is the server's (``TOUCHPOINT_DATABASE_URL``, or the
embedded file); the write is audited under ``--user`` (a supervisor or administrator),
or under the desk itself when none is given. A refused file prints each bad cell (row,
column, value, what is wrong) and exits with status 1; nothing is written.

An import is one transaction: on SQLite the desk's other writes wait for it (and past
their request's time limit are refused with 503), so a large file is loaded off-hours;
on PostgreSQL only the rows it writes are held.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from touchpoint.services.imports import ImportReport

__all__ = ["app"]

app = typer.Typer(
    help="Import customers, transactions or survey answers from a CSV or XLSX file "
    "(all rows or none).",
    no_args_is_help=True,
)

FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or XLSX file.")
]
EncodingOpt = Annotated[
    str,
    typer.Option(
        help="Text encoding of a CSV file: utf-8, gb18030 (gbk, gb2312: Excel's CSV on a "
        "Chinese Windows), big5 or windows-1252."
    ),
]
UserOpt = Annotated[
    str | None,
    typer.Option(help="The user the audit log names (a supervisor or administrator)."),
]


#: A service's import of one file: ``run(session, actor, content=…, filename=…, now=…,
#: encoding=…)`` (``services.imports``, ``services.survey_imports``).
Importer = Callable[..., "ImportReport"]


def _import(path: Path, encoding: str, user: str | None, run: Importer, what: str) -> None:
    """Import ``path`` with ``run`` into the desk's database (migrated first, as
    ``touchpoint serve`` does) and say what it did or why not."""
    from touchpoint.cli.demo import prepare_database
    from touchpoint.domain.errors import CodedError
    from touchpoint.services.auth import actor_named
    from touchpoint.services.base import Actor
    from touchpoint.services.errors import ImportRejected
    from touchpoint.settings import Settings
    from touchpoint.storage.db import make_engine, make_session_factory, session_scope

    url = prepare_database(Settings(), seed=False)
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            actor = actor_named(session, user) if user else Actor.system()
            report = run(
                session,
                actor,
                content=path.read_bytes(),
                filename=path.name,
                now=datetime.now(UTC),
                encoding=encoding,
            )
    except ImportRejected as exc:
        typer.echo(f"error: {path}: nothing imported, {len(exc.problems)} problem(s):", err=True)
        for p in exc.problems:
            typer.echo(f"  row {p['row']}, column {p['column']!r}, value {p['value']!r}: "
                       f"{p['message']}", err=True)  # fmt: skip
        raise typer.Exit(1) from None
    except CodedError as exc:
        typer.echo(f"error: {path}: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"{path}: {report.rows} {what} imported into {url}")


@app.command("customers")
def customers(file: FileArg, encoding: EncodingOpt = "utf-8", user: UserOpt = None) -> None:
    """Customers: name, kind, customer_class, organisation, phone, email, account,
    social, notes (as the import page explains them). One transaction: on SQLite the
    desk's writes wait for it (about 4,500 customers a second here:
    bench/customer_import.py), so load a large file off-hours."""
    from touchpoint.services.imports import import_customers

    _import(file, encoding, user, import_customers, "customers")


@app.command("transactions")
def transactions(file: FileArg, encoding: EncodingOpt = "utf-8", user: UserOpt = None) -> None:
    """Transactions: customer_id (or account, or phone), kind, at, amount, currency,
    reference, description."""
    from touchpoint.services.imports import import_transactions

    _import(file, encoding, user, import_transactions, "transactions")


@app.command("responses")
def responses(
    wave_id: Annotated[int, typer.Argument(help="The open wave that takes the answers.")],
    file: FileArg,
    encoding: EncodingOpt = "utf-8",
    user: UserOpt = None,
) -> None:
    """Survey answers collected elsewhere, into one open wave: the survey's question ids
    and the export's other columns (as the wave's import page lists them)."""
    from touchpoint.services.survey_imports import import_responses

    _import(file, encoding, user, partial(import_responses, wave_id=wave_id), "responses")
