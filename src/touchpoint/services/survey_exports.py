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

import io
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from openpyxl import Workbook
from sqlalchemy import Text, cast, select, true
from sqlalchemy.orm import Session

from touchpoint.domain.survey_definition import Question, QuestionType, SurveyDefinition
from touchpoint.domain.survey_quotas import CUSTOMER_SEGMENTS
from touchpoint.services.base import Actor, get_or_404, require, write
from touchpoint.services.surveys import wave_definition
from touchpoint.storage.survey_models import SurveyResponse, SurveyWave

__all__ = [
    "BATCH_ROWS",
    "SUBMITTED_AT_FORMAT",
    "ExportFormat",
    "export_wave",
    "wave_rows",
    "write_wave",
]

#: Responses read and written at a time.
BATCH_ROWS = 50_000
#: How ``submitted_at`` is written: UTC, whole seconds, fixed width (so that the text
#: sorts as the instants do).
SUBMITTED_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
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


def _schema(definition: SurveyDefinition) -> pa.Schema:
    """The export's columns, in order, and their types."""
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
    fields += [pa.field(name, pa.string()) for name in CUSTOMER_SEGMENTS]
    return pa.schema(fields)


def _answer_type(question: Question) -> pa.DataType:
    """How an answer reads out of the stored JSON: an integer, text, or a list of texts."""
    if question.type.numeric:
        return pa.int64()
    if question.type is QuestionType.MULTI:
        return pa.list_(pa.string())
    return pa.string()


def _as_array(value: Any, kind: pa.DataType) -> pa.Array:
    """A column of a batch as one array of the export's type."""
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if isinstance(value, pa.Array):
        return value.cast(kind)
    return pa.array(value, kind)


def _parsed(texts: tuple[str, ...], schema: pa.Schema) -> pa.Table:
    """A batch's stored JSON documents (one per row) parsed by pyarrow's JSON reader into
    the columns of ``schema`` (fields not in it ignored, missing ones null): no document
    is decoded in Python, nor picked apart by the database."""
    lines = "\n".join(texts).encode()
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    return pa_json.read_json(io.BytesIO(lines), parse_options=options)


def _batches(
    session: Session,
    wave_id: int,
    definition: SurveyDefinition,
    schema: pa.Schema,
    after_id: int = 0,
    through_id: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """The wave's rows (of responses numbered above ``after_id`` and up to ``through_id``),
    :data:`BATCH_ROWS` at a time, each batch built column by column."""
    r = SurveyResponse
    who = [] if definition.anonymous else [r.customer_id]
    query = (
        select(
            r.id,
            cast(r.answers, Text),
            *who,
            r.channel,
            r.submitted_at,
            r.work_order_id,
            r.touchpoint,
            cast(r.segments, Text),
        )
        .where(r.wave_id == wave_id, r.id > after_id)
        .where(true() if through_id is None else r.id <= through_id)
        .order_by(r.id)
        .execution_options(yield_per=BATCH_ROWS)
    )
    answers = pa.schema([pa.field(q.id, _answer_type(q)) for q in definition.questions])
    segments = pa.schema([pa.field(name, pa.string()) for name in CUSTOMER_SEGMENTS])
    for part in session.execute(query).partitions():
        rid, texts, *rest = zip(*part, strict=True)
        *who_values, channel, at, order_id, touchpoint, segment_texts = rest
        parsed, kept = _parsed(texts, answers), _parsed(segment_texts, segments)
        columns: dict[str, Any] = {"respondent": pa.array(rid, pa.int64())}
        for question in definition.questions:
            column = parsed.column(question.id)
            if question.type is QuestionType.MULTI:
                column = pc.binary_join(column, ";")
            columns[question.id] = column
        if who_values:
            columns["customer_id"] = pa.array(who_values[0], pa.int64())
        # Whole seconds (fractions dropped, as every instant the desk prints).
        stamps = pa.array(at, pa.timestamp("us", tz="UTC")).cast(
            pa.timestamp("s", tz="UTC"), safe=False
        )
        columns["submitted_at"] = pc.strftime(stamps, format=SUBMITTED_AT_FORMAT)
        columns["channel"] = pa.array(channel, pa.string())
        columns["work_order_id"] = pa.array(order_id, pa.int64())
        columns["touchpoint"] = pa.array(touchpoint, pa.string())
        for name in CUSTOMER_SEGMENTS:
            columns[name] = kept.column(name)
        yield pa.RecordBatch.from_arrays(
            [_as_array(columns[f.name], f.type) for f in schema], schema=schema
        )


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


def wave_rows(
    session: Session, wave_id: int, *, after_id: int = 0, through_id: int | None = None
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The export's columns and its rows as Arrow batches, in response order, of the
    responses numbered above ``after_id`` and up to ``through_id`` (all by default): what
    a kept snapshot of the wave appends when the wave has gained responses."""
    wave = get_or_404(session, SurveyWave, wave_id)
    definition = wave_definition(session, wave)
    schema = _schema(definition)
    return schema, _batches(session, wave_id, definition, schema, after_id, through_id)


def write_wave(session: Session, wave_id: int, fmt: ExportFormat, out: IO[bytes]) -> int:
    """Write the wave's responses to ``out`` in ``fmt`` (the export's file, unaudited: the
    caller audits an export, an analysis reads its own snapshot); the number of rows."""
    schema, batches = wave_rows(session, wave_id)
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
