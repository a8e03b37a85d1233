"""Importing responses collected elsewhere (a paper round, another survey tool's export)
into a wave: all rows or none.

The file is CSV or XLSX with the columns of a wave's export: the question ids (as in the
survey's definition, case kept), and optionally ``respondent`` (ignored: the desk numbers
its responses), ``customer_id``, ``channel`` (link, email, sms, kiosk or phone; phone when
absent), ``submitted_at`` (ISO 8601 with ``Z`` or an offset; the import's instant when
absent), ``work_order_id``, ``touchpoint``, ``customer_class`` and ``region``. Every
answer is checked as the respondent page checks it; each bad cell is reported with its
row (the header is row 1), column and value, and then nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.survey_answers import checked_answers, headline_scores
from touchpoint.domain.survey_definition import Question, QuestionType, SurveyDefinition
from touchpoint.domain.survey_quotas import CUSTOMER_SEGMENTS
from touchpoint.services.base import Actor, get_or_404, require, write
from touchpoint.services.errors import (
    ConflictError,
    ImportRejected,
    import_problem,
    refused_cell,
)
from touchpoint.services.imports import ImportReport, cell_instant, read_table
from touchpoint.services.survey_invitations import Channel
from touchpoint.services.surveys import WaveStatus, wave_definition
from touchpoint.storage.models import Customer, WorkOrder
from touchpoint.storage.survey_models import SurveyResponse, SurveyWave

__all__ = ["ResponseColumns", "import_responses", "response_columns"]

_MAX_ID = 2**63 - 1
#: The columns of an import file beside the questions, in the export's order.
_OTHERS = (
    "respondent", "customer_id", "channel", "submitted_at", "work_order_id", "touchpoint",
    *CUSTOMER_SEGMENTS,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ResponseColumns:
    """The columns a wave's import file may hold: its questions (by id, case kept), then
    the other columns an export has; ``anonymous`` surveys take no ``customer_id``."""

    questions: tuple[Question, ...]
    others: tuple[str, ...]
    anonymous: bool
    open: bool

    @property
    def names(self) -> tuple[str, ...]:
        """Every column, in the export's order."""
        return tuple(q.id for q in self.questions) + self.others


def response_columns(session: Session, actor: Actor, wave_id: int) -> ResponseColumns:
    """The columns of a file :func:`import_responses` takes for this wave, and whether
    the wave is still open to take it."""
    require(actor, actor.role.can_supervise, "import survey responses")
    wave = get_or_404(session, SurveyWave, wave_id)
    definition = wave_definition(session, wave)
    left_out = ("customer_id",) if definition.anonymous else ()  # no customer named
    others = tuple(c for c in _OTHERS if c not in left_out)
    return ResponseColumns(
        definition.questions, others, definition.anonymous, wave.status == WaveStatus.OPEN
    )


@dataclass
class _Row:
    """One checked row, ready to store."""

    answers: dict[str, Any]
    customer_id: int | None
    channel: str
    submitted_at: datetime | None
    work_order_id: int | None
    touchpoint: str
    segments: dict[str, str]


def _whole(text: str) -> int:
    """A whole number written in a cell (``9`` or ``9.0``)."""
    try:
        return int(text)
    except ValueError:
        number = float(text)
    if not number.is_integer():
        raise ValueError(text)
    return int(number)


def _cell_answers(
    row: dict[str, str], definition: SurveyDefinition, line: int, problems: list[dict[str, Any]]
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in definition.questions:
        text = row.get(question.id, "")
        if not text:
            continue
        if question.type is QuestionType.SCALE:
            try:
                answers[question.id] = _whole(text)
            except ValueError:
                problems.append(
                    import_problem(
                        line, question.id, text, "is not a whole number", code="import_not_whole"
                    )
                )
        elif question.type is QuestionType.MULTI:
            answers[question.id] = [v.strip() for v in text.split(";") if v.strip()]
        else:
            answers[question.id] = text
    return answers


def _optional_id(text: str) -> int | None:
    """A record's number, if given: one a database integer (64 bits) can hold."""
    if not text:
        return None
    number = _whole(text)
    if abs(number) > _MAX_ID:
        raise ValueError(text)
    return number


def _instant(text: str) -> datetime | None:
    return cell_instant(text) if text else None


def _check_row(
    row: dict[str, str], definition: SurveyDefinition, line: int, problems: list[dict[str, Any]]
) -> _Row | None:
    before = len(problems)
    answers = _cell_answers(row, definition, line, problems)
    if len(problems) == before:  # a cell that cannot be read is not also "missing"
        answers, refused_answers = checked_answers(definition, answers)
        for refused in refused_answers:
            value = "" if refused.value is None else str(refused.value)
            problems.append(refused_cell(line, refused.question_id or "", value, refused))
    fields: dict[str, Any] = {}
    for column, parse in (
        ("customer_id", _optional_id),
        ("work_order_id", _optional_id),
        ("submitted_at", _instant),
    ):
        try:
            fields[column] = parse(row.get(column, ""))
        except ValueError:
            value = row.get(column, "")
            problems.append(
                import_problem(line, column, value, "cannot be read", code="import_cell")
            )
    channel = row.get("channel", "") or Channel.PHONE.value
    if channel not in {c.value for c in Channel}:
        problems.append(
            import_problem(line, "channel", channel, "is not a channel", code="import_not_channel")
        )
    if definition.anonymous and fields.get("customer_id") is not None:
        problems.append(
            import_problem(
                line,
                "customer_id",
                row["customer_id"],
                "survey is anonymous",
                code="import_anonymous",
            )
        )
    if len(problems) > before:
        return None
    return _Row(
        answers=answers,
        channel=channel,
        touchpoint=row.get("touchpoint", "")[:100],
        segments={k: row[k] for k in CUSTOMER_SEGMENTS if row.get(k)},
        **fields,
    )


def _check_references(session: Session, rows: list[tuple[int, _Row]]) -> list[dict[str, Any]]:
    """Rows naming a customer or an order that does not exist."""
    problems = []
    for column, model in (("customer_id", Customer), ("work_order_id", WorkOrder)):
        wanted = {getattr(r, column) for _, r in rows} - {None}
        found = (
            set(session.scalars(select(model.id).where(model.id.in_(wanted)))) if wanted else set()
        )
        for line, row in rows:
            value = getattr(row, column)
            if value is not None and value not in found:
                problems.append(
                    import_problem(
                        line, column, str(value), "does not exist", code="import_no_record"
                    )
                )
    return problems


def import_responses(
    session: Session,
    actor: Actor,
    wave_id: int,
    content: bytes,
    filename: str,
    *,
    now: datetime,
    encoding: str = "utf-8",
) -> ImportReport:
    """Store every row of the file (a CSV's text in ``encoding``, as
    ``services.imports.read_table`` reads it) as a completed response of the wave, or
    none: a bad cell raises ``ImportRejected`` listing each (row, column, value,
    message)."""
    require(actor, actor.role.can_supervise, "import survey responses")
    wave = get_or_404(session, SurveyWave, wave_id)
    if wave.status != WaveStatus.OPEN:
        raise ConflictError(
            f"wave {wave_id} is closed: it takes no more responses", code="wave_closed"
        )
    definition = wave_definition(session, wave)
    table = read_table(content, filename, lower_case=False, encoding=encoding)
    if not table:
        raise ImportRejected(
            [import_problem(1, "", "", "file has no data rows", code="import_no_rows")]
        )
    allowed = {*definition.question_ids, *_OTHERS}
    problems = [
        import_problem(
            1, column, column, "is neither a question of the survey nor a known column",
            code="import_unknown_column", params={"allowed": ", ".join(sorted(allowed))},
        )
        for column in table[0]
        if column not in allowed
    ]  # fmt: skip
    checked: list[tuple[int, _Row]] = []
    for line, row in enumerate(table, start=2):
        parsed = _check_row(row, definition, line, problems)
        if parsed is not None:
            checked.append((line, parsed))
    problems += _check_references(session, checked)
    if problems:
        raise ImportRejected(problems)
    return _store(session, actor, wave, [r for _, r in checked], filename, now)


def _store(
    session: Session,
    actor: Actor,
    wave: SurveyWave,
    rows: list[_Row],
    filename: str,
    now: datetime,
) -> ImportReport:
    with write(session, actor, "survey.import", now=now) as unit:
        responses = [
            SurveyResponse(
                wave_id=wave.id,
                invitation_id=None,
                survey_version=wave.survey_version,
                customer_id=row.customer_id,
                channel=row.channel,
                work_order_id=row.work_order_id,
                touchpoint=row.touchpoint,
                answers=row.answers,
                **headline_scores(row.answers),
                segments=row.segments,
                submitted_at=row.submitted_at or now,
            )
            for row in rows
        ]
        session.add_all(responses)
        session.flush()
        ids = [r.id for r in responses]
        unit.audit(
            "survey_wave",
            wave.id,
            before=None,
            after={"file": filename, "rows": len(ids), "response_ids": ids},
        )
    return ImportReport(rows=len(ids), created_ids=ids)
