"""A wave's responses as CSV, XLSX or Parquet, in the shape ``touchpoint analyze`` reads.

One row per completed response: ``respondent`` (the response id), the question ids in the
definition's order (numbers for scale items, text otherwise; a multiple choice is its
values joined by ``;``; an unanswered item is an empty cell), then ``customer_id``
(left out for an anonymous survey), ``channel``, ``submitted_at`` (ISO 8601, UTC, ``Z``),
``work_order_id`` and ``touchpoint``, then the segments kept with the responses
(``customer_class``, ``region``). Rows are read :data:`BATCH_ROWS` at a time and written
as they come; the export is audited (who, which wave, how many rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.survey_definition import Question, QuestionType, SurveyDefinition
from touchpoint.services.base import Actor, get_or_404, require, write
from touchpoint.services.errors import NotFoundError
from touchpoint.services.surveys import definition_for
from touchpoint.storage.survey_models import SurveyResponse, SurveyVersion, SurveyWave

__all__ = ["BATCH_ROWS", "ExportFormat", "export_columns", "export_wave", "write_wave"]

#: Responses read and written at a time.
BATCH_ROWS = 50_000
_XLSX_MAX_ROWS = 1_048_575


class ExportFormat(StrEnum):
    """The file types of an export."""

    CSV = "csv"
    XLSX = "xlsx"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        """The HTTP content type of the file."""
        return {
            ExportFormat.CSV: "text/csv; charset=utf-8",
            ExportFormat.XLSX: (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
            ExportFormat.PARQUET: "application/vnd.apache.parquet",
        }[self]


_SEGMENTS = ("customer_class", "region")


def export_columns(definition: SurveyDefinition) -> list[str]:
    """The export's columns, in order."""
    who = [] if definition.anonymous else ["customer_id"]
    return [
        "respondent",
        *definition.question_ids,
        *who,
        "channel",
        "submitted_at",
        "work_order_id",
        "touchpoint",
        *_SEGMENTS,
    ]


def _schema(definition: SurveyDefinition) -> pa.Schema:
    fields = [pa.field("respondent", pa.int64())]
    fields += [
        pa.field(q.id, pa.int64() if q.type.numeric else pa.string()) for q in definition.questions
    ]
    if not definition.anonymous:
        fields.append(pa.field("customer_id", pa.int64()))
    fields += [
        pa.field("channel", pa.string()),
        pa.field("submitted_at", pa.string()),
        pa.field("work_order_id", pa.int64()),
        pa.field("touchpoint", pa.string()),
    ]
    fields += [pa.field(name, pa.string()) for name in _SEGMENTS]
    return pa.schema(fields)


def _joined(value: Any) -> Any:
    """A multiple choice's values joined by ``;`` (None when unanswered)."""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def _answer_column(question: Question) -> Any:
    """A question's answer picked out of the stored JSON by the database (``json_extract``
    on SQLite, ``->>`` on PostgreSQL), so that no row's JSON is decoded in Python: an
    integer for a scale item, text otherwise; a multiple choice stays a JSON list."""
    value = SurveyResponse.answers[question.id]
    if question.type.numeric:
        return value.as_integer().label(question.id)
    if question.type is QuestionType.MULTI:
        return value.label(question.id)
    return value.as_string().label(question.id)


def _batches(
    session: Session, wave_id: int, definition: SurveyDefinition, schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    """The wave's rows, :data:`BATCH_ROWS` at a time, each batch built column by column."""
    r = SurveyResponse
    who = [] if definition.anonymous else [r.customer_id]
    query = (
        select(
            r.id,
            *[_answer_column(q) for q in definition.questions],
            *who,
            r.channel,
            r.submitted_at,
            r.work_order_id,
            r.touchpoint,
            *[r.segments[name].as_string() for name in _SEGMENTS],
        )
        .where(r.wave_id == wave_id)
        .order_by(r.id)
        .execution_options(yield_per=BATCH_ROWS)
    )
    multi = {
        index + 1 for index, q in enumerate(definition.questions) if q.type is QuestionType.MULTI
    }
    at = schema.get_field_index("submitted_at")
    for part in session.execute(query).partitions():
        columns = list(zip(*part, strict=True))
        arrays = []
        for index, field in enumerate(schema):
            values: Any = columns[index]
            if index in multi:
                values = [_joined(v) for v in values]
            if index == at:
                # Whole seconds (fractions dropped, as every instant the desk prints).
                stamps = pa.array(values, pa.timestamp("us", tz="UTC")).cast(
                    pa.timestamp("s", tz="UTC"), safe=False
                )
                arrays.append(pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%SZ"))
            else:
                arrays.append(pa.array(values, field.type))
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def export_wave(
    session: Session,
    actor: Actor,
    wave_id: int,
    fmt: ExportFormat,
    out: IO[bytes],
    *,
    now: datetime,
) -> int:
    """Write the wave's responses to ``out`` in ``fmt``; returns the number of rows. The
    export is audited in the same call."""
    require(actor, actor.role.can_read_reports, "export survey responses")
    rows = write_wave(session, wave_id, fmt, out)
    session.rollback()  # the read's transaction; the audit is a write of its own
    with write(session, actor, "survey.export", now=now) as unit:
        unit.audit("survey_wave", wave_id, before=None, after={"format": fmt.value, "rows": rows})
    return rows


def write_wave(session: Session, wave_id: int, fmt: ExportFormat, out: IO[bytes]) -> int:
    """Write the wave's responses to ``out`` in ``fmt`` (the export's file, unaudited: the
    caller audits an export, an analysis reads its own snapshot); the number of rows."""
    wave = get_or_404(session, SurveyWave, wave_id)
    stored = session.get(SurveyVersion, (wave.survey_id, wave.survey_version))
    if stored is None:
        raise NotFoundError("survey version", f"{wave.survey_id}/{wave.survey_version}")
    definition = definition_for(stored.definition)
    schema = _schema(definition)
    batches = _batches(session, wave_id, definition, schema)
    if fmt is ExportFormat.PARQUET:
        return _parquet(batches, schema, out)
    if fmt is ExportFormat.CSV:
        return _csv(batches, schema, out)
    return _xlsx(batches, schema, out)


def _parquet(batches: Iterator[pa.RecordBatch], schema: pa.Schema, out: IO[bytes]) -> int:
    rows = 0
    with pq.ParquetWriter(out, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def _csv(batches: Iterator[pa.RecordBatch], schema: pa.Schema, out: IO[bytes]) -> int:
    rows = 0
    with pa_csv.CSVWriter(
        out, schema, write_options=pa_csv.WriteOptions(quoting_style="needed")
    ) as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def _xlsx(batches: Iterator[pa.RecordBatch], schema: pa.Schema, out: IO[bytes]) -> int:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    sheet.append(schema.names)
    rows = 0
    for batch in batches:
        for record in batch.to_pylist():
            rows += 1
            if rows > _XLSX_MAX_ROWS:
                raise ValueError(
                    f"xlsx: more than {_XLSX_MAX_ROWS} responses do not fit a sheet; "
                    "export csv or parquet"
                )
            sheet.append([record[name] for name in schema.names])
    book.save(out)
    return rows
