"""``touchpoint sla …``: business-time arithmetic, replay and what-if of SLA policies (issue 6).

Every command prints exactly what issue 6 specifies and exits with code 2, naming the
file, the field or event index and the value, on bad input. Heavy imports (numpy,
pyarrow, rich) happen inside the commands so that ``touchpoint --help`` stays fast.
The input formats are described in docs/sla-formats.md, which the help texts cite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from datetime import datetime

    from touchpoint.domain.calendar import BusinessCalendar
    from touchpoint.domain.sla import SlaBatchReport, SlaPolicy

__all__ = ["app"]

app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="markdown",  # help paragraphs reflow to the terminal, brackets print as typed
)

#: Files with at least this many bytes get a progress bar.
_PROGRESS_BYTES = 2_000_000


class OutputFormat(StrEnum):
    """How ``whatif`` prints its result."""

    JSON = "json"
    TABLE = "table"


@app.callback()
def _sla() -> None:
    """SLA clock: add, between, replay, whatif.

    Inputs: a calendar JSON (timezone, weekly hours, holidays, special_days), a policy
    JSON (first_response_minutes, next_update_minutes, next_update_from,
    resolution_minutes, in business minutes), a case JSON for replay (calendar, policy
    and events) and an events export for whatif (CSV or Parquet with columns order_id,
    at, type, status). Instants are ISO 8601 with an offset or Z; output is UTC.

    Formats, examples and error messages: docs/sla-formats.md. Sample files:
    touchpoint demo-data writes sla_calendar.json, sla_policy.json, sla_case.json and
    sla_events.csv/.parquet.
    """


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@contextmanager
def _input(source: str) -> Iterator[None]:
    """Turn the domain's ``ValueError``s into exit code 2 with ``source`` in front."""
    try:
        yield
    except ValueError as error:
        _fail(f"{source}: {error}")


def _load_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is allowed
    except OSError as error:
        _fail(f"{path}: cannot be read: {error.strerror or error}")
    except UnicodeDecodeError:
        _fail(f"{path}: is not UTF-8 text")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        _fail(f"{path}: is not valid JSON: {error}")


def _instant(text: str, name: str) -> datetime:
    from touchpoint.domain.calendar import CalendarError, parse_instant

    try:
        return parse_instant(text, name)
    except CalendarError as error:
        _fail(str(error))


def _calendar(path: Path, data: object | None = None, prefix: str = "") -> BusinessCalendar:
    from touchpoint.domain.calendar import BusinessCalendar, CalendarError

    raw = _load_json(path) if data is None else data
    if not isinstance(raw, dict):
        _fail(f"{path}: {prefix or 'calendar'}: {raw!r} is not a JSON object")
    try:
        return BusinessCalendar.from_json(raw)
    except CalendarError as error:
        _fail(f"{path}: {prefix}{error}")


def _policy(path: Path, data: object | None = None, prefix: str = "") -> SlaPolicy:
    from touchpoint.domain.sla import SlaInputError, SlaPolicy

    raw = _load_json(path) if data is None else data
    if not isinstance(raw, dict):
        _fail(f"{path}: {prefix or 'policy'}: {raw!r} is not a JSON object")
    try:
        return SlaPolicy.from_json(raw)
    except SlaInputError as error:
        _fail(f"{path}: {prefix}{error}")


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command()
def add(
    calendar: Annotated[Path, typer.Argument(help="Calendar JSON file.")],
    start: Annotated[str, typer.Argument(help="ISO 8601 instant with an offset or Z.")],
    minutes: Annotated[int, typer.Argument(help="Business minutes to add (>= 0).")],
) -> None:
    """Print the due instant, MINUTES business minutes after START, in UTC with Z.

    CALENDAR is a JSON object: "timezone" (IANA name, e.g. Asia/Shanghai), "hours"
    (weekday mon…sun to [["HH:MM", "HH:MM"], …] local ranges, end excluded), optional
    "holidays" (["YYYY-MM-DD", …]) and "special_days" (date to ranges, replacing that
    date's hours). See docs/sla-formats.md.
    """
    from touchpoint.domain.calendar import format_instant

    cal = _calendar(calendar)
    begin = _instant(start, "START")
    with _input(str(calendar)):
        due = cal.add(begin, minutes)
    typer.echo(format_instant(due))


@app.command()
def between(
    calendar: Annotated[Path, typer.Argument(help="Calendar JSON file.")],
    start: Annotated[str, typer.Argument(help="ISO 8601 instant with an offset or Z.")],
    end: Annotated[str, typer.Argument(help="ISO 8601 instant with an offset or Z.")],
) -> None:
    """Print the business time in [START, END) as {"seconds": s, "minutes": m}.

    CALENDAR is the calendar JSON of touchpoint sla add; minutes are whole minutes
    (seconds // 60). See docs/sla-formats.md.
    """
    cal = _calendar(calendar)
    seconds = cal.between(_instant(start, "START"), _instant(end, "END"))
    typer.echo(json.dumps({"seconds": seconds, "minutes": seconds // 60}))


@app.command()
def replay(
    case: Annotated[Path, typer.Argument(help="JSON with calendar, policy and events.")],
    now: Annotated[
        str | None, typer.Option(help="ISO 8601 instant: pending targets due before it breach.")
    ] = None,
) -> None:
    """Replay one order's timeline and print its SLA state.

    CASE is a JSON object with "calendar" and "policy" (as in the other commands) and
    "events": a list of {"at", "type"} objects in time order, the first of type
    "created" with a "status", a "status" event with "to"; other types are
    customer_message, agent_reply and internal_note. See docs/sla-formats.md.
    """
    from touchpoint.domain.sla import SlaInputError, replay, timeline_from_json

    data = _load_json(case)
    if not isinstance(data, dict):
        _fail(f"{case}: {data!r} is not a JSON object with calendar, policy and events")
    for key in ("calendar", "policy", "events"):
        if key not in data:
            _fail(f"{case}: {key}: is missing")
    cal = _calendar(case, data["calendar"], "calendar.")
    policy = _policy(case, data["policy"], "policy.")
    try:
        events = timeline_from_json(data["events"])
    except SlaInputError as error:
        _fail(f"{case}: {error}")
    at = None if now is None else _instant(now, "--now")
    typer.echo(json.dumps(replay(cal, policy, events, at).to_json(), indent=2))


@app.command()
def whatif(
    events: Annotated[Path, typer.Argument(help="Events export: CSV or Parquet.")],
    calendar: Annotated[Path, typer.Option(help="Calendar JSON file (see touchpoint sla add).")],
    policy: Annotated[Path, typer.Option(help="Proposed policy JSON file.")],
    against: Annotated[
        Path | None, typer.Option(help="A second policy JSON file to compare with.")
    ] = None,
    now: Annotated[
        str | None, typer.Option(help="ISO 8601 instant: pending targets due before it breach.")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="json or table.")
    ] = OutputFormat.JSON,
) -> None:
    """Replay many orders' timelines under a policy (and another) and count breaches.

    EVENTS is a CSV or Parquet file with columns order_id, at (ISO 8601 with an offset
    or Z; in Parquet also a zoned timestamp), type (created, customer_message,
    agent_reply, internal_note, status) and status (on created and status rows only).
    Each order's rows are in time order, created first. POLICY: first_response_minutes,
    next_update_minutes, next_update_from, resolution_minutes (business minutes or
    null). A bad row is named events[0], events[1], … in file order, the header not
    counted. See docs/sla-formats.md.
    """
    cal = _calendar(calendar)
    proposed = _policy(policy)
    other = None if against is None else _policy(against)
    at = None if now is None else _instant(now, "--now")
    if not events.is_file():
        _fail(f"{events}: is not a file")
    large = events.stat().st_size >= _PROGRESS_BYTES
    with _progress(large) as step:
        result = _whatif(events, cal, proposed, other, at, step)
    if output is OutputFormat.TABLE:
        _print_table(result)
    else:
        typer.echo(json.dumps(result, indent=2))


def _whatif(
    events: Path,
    cal: BusinessCalendar,
    proposed: SlaPolicy,
    other: SlaPolicy | None,
    at: datetime | None,
    step: Callable[[str], None],
) -> dict[str, object]:
    from touchpoint.domain.sla import EventType, OrderStatus, Timelines, replay_many
    from touchpoint.engine.sla_events import read_event_columns

    step("reading and checking events")
    with _input(str(events)):
        columns = read_event_columns(events, tuple(EventType), tuple(OrderStatus))
        timelines = Timelines.from_columns(columns.order, columns.at, columns.type, columns.status)
    reports: list[SlaBatchReport] = []
    for label, chosen in (("policy", proposed), ("against", other)):
        if chosen is not None:
            step(f"replaying {label}")
            with _input(str(events)):
                reports.append(replay_many(cal, chosen, timelines, at))
    step("done")
    return {
        "orders": len(timelines),
        "policy": reports[0].summary(),
        "against": reports[1].summary() if len(reports) > 1 else None,
    }


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A Rich progress bar on stderr, stepped by phase; a no-op for small files."""
    if not enabled:
        yield lambda _phase: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    phases = 4
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("what-if", total=phases)
        started = False

        def step(phase: str) -> None:
            nonlocal started
            if started:
                progress.advance(task)
            started = True
            progress.update(task, description=phase)

        yield step


def _print_table(result: dict[str, object]) -> None:
    """One row per target and policy, fitted to the terminal (see :mod:`touchpoint.cli.tables`)."""
    from rich.console import Console

    from touchpoint.cli.tables import FittedTable

    rows: list[list[str]] = []
    for target in ("first_response", "next_update", "resolution"):
        for side in ("policy", "against"):
            summary = result[side]
            if not isinstance(summary, dict):
                continue
            counts = summary[target]
            if counts is None:
                rows.append([target, side, "not tracked", "", "", ""])
                continue
            share = counts["share"]
            rows.append(
                [
                    target,
                    side,
                    f"{counts['breached']:,}",
                    "—" if share is None else f"{share:.1%}",
                    f"{counts['met']:,}",
                    f"{counts['pending']:,}",
                ]
            )
    headers = ["target", "policy", "breached", "share", "met", "pending"]
    title = f"What-if over {result['orders']:,} orders"
    Console().print(FittedTable(title, headers, rows, text_columns=2, title_justify="center"))
