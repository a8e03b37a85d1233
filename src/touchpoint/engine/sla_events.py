"""Read an export of many orders' timelines (CSV or Parquet) into integer columns.

The file has the columns ``order_id``, ``at``, ``type`` and ``status`` (issue 6); the
last is empty except on ``created`` and ``status`` rows. Reading is columnar with
pyarrow: strings are dictionary-encoded once and mapped to codes (positions in the
label tuples the caller passes, i.e. the domain's enums), so a million rows never
become a million Python objects. Every bad value is reported with its row
(``events[i]``, counted from 0 in file order), field and value. The timeline rules
themselves (``created`` first, time order) are checked by the domain's ``Timelines``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "COLUMNS",
    "EventColumns",
    "EventsFileError",
    "columns_from_table",
    "read_event_columns",
    "read_table",
]

#: The columns of an events export, in order.
COLUMNS: Final = ("order_id", "at", "type", "status")

_MICROS: Final = 1_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

Int64Array = NDArray[np.int64]


class EventsFileError(ValueError):
    """The events file cannot be read as issue 6's export.

    With a ``row`` the message reads ``events[row].field: value problem``.
    """

    def __init__(
        self, problem: str, row: int | None = None, field: str = "", value: object = None
    ) -> None:
        self.row = row
        self.field = field
        self.value = value
        self.problem = problem
        text = problem if row is None else f"events[{row}].{field}: {value!r} {problem}"
        super().__init__(text)


@dataclass(frozen=True, eq=False)
class EventColumns:
    """An events file as integer columns in file order.

    ``order`` holds a code per distinct ``order_id``, ``at`` UTC epoch seconds (floored),
    ``type`` and ``status`` positions in the label tuples given to
    :func:`read_event_columns` (``-1``: empty status).
    """

    order: Int64Array
    at: Int64Array
    type: Int64Array
    status: Int64Array

    def __len__(self) -> int:
        return len(self.at)


def read_table(path: Path) -> Any:
    """The four columns of a CSV or Parquet events file as a pyarrow table.

    CSV is read as strings (so that a naive or malformed time is reported, not
    guessed); Parquet keeps its types.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            # ParquetFile reads without importing pyarrow.dataset, which start-up
            # would otherwise pay for on every run.
            parquet = pq.ParquetFile(path)
            names = parquet.schema_arrow.names
            missing = [c for c in COLUMNS if c not in names]
            if missing:
                raise EventsFileError(f"column {missing[0]!r} is missing (has {names!r})")
            return parquet.read(columns=list(COLUMNS))
        if suffix in (".csv", ".txt"):
            # utf-8-sig: spreadsheet programs start "CSV UTF-8" files with a byte-order mark.
            with path.open(newline="", encoding="utf-8-sig") as stream:
                header = next(csv.reader(stream), [])
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise EventsFileError(f"column {missing[0]!r} is missing (has {header!r})")
            options = pacsv.ConvertOptions(
                column_types={c: pa.string() for c in COLUMNS},
                include_columns=list(COLUMNS),
                strings_can_be_null=True,
            )
            return pacsv.read_csv(path, convert_options=options)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as error:
        raise EventsFileError(f"cannot be read: {error}") from None
    raise EventsFileError(f"has suffix {suffix!r}: give a .csv or .parquet file")


def _integers(array: Any) -> Int64Array:
    """An int32/int64 arrow array without nulls as int64 numpy, read from its buffer.

    ``Array.to_numpy`` would import pandas, a heavy start-up cost, just to copy
    integers.
    """
    width = array.type.bit_width // 8
    dtype = np.int32 if width == 4 else np.int64
    values = np.frombuffer(
        array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * width
    )
    return values.astype(np.int64)


def _codes(column: Any, labels: Sequence[str], field: str) -> Int64Array:
    """Map a string column to the positions of ``labels``; null and ``""`` map to -1."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # Nulls become a dictionary entry of their own, so the indices have none.
    encoded = pc.dictionary_encode(column.cast(pa.string()), null_encoding="encode")
    dictionary = encoded.dictionary.to_pylist()
    indices = _integers(encoded.indices)
    lookup = np.full(len(dictionary), -1, dtype=np.int64)
    for j, label in enumerate(dictionary):
        if label in labels:
            lookup[j] = list(labels).index(label)
        elif label is not None and not (field == "status" and label == ""):
            row = int(np.flatnonzero(indices == j)[0])
            kind = "an event type" if field == "type" else "a status"
            raise EventsFileError(f"is not {kind} ({', '.join(labels)})", row, field, label)
    return lookup[indices]


def _parse_rows(texts: list[str | None]) -> Int64Array:
    """UTC epoch seconds of ISO 8601 instants with an offset; the first bad row is an error."""
    seconds = np.empty(len(texts), dtype=np.int64)
    for row, text in enumerate(texts):
        try:
            value = datetime.fromisoformat(text) if isinstance(text, str) else None
        except ValueError:
            value = None
        if value is None:
            raise EventsFileError("is not an ISO 8601 instant", row, "at", text)
        if value.utcoffset() is None:
            raise EventsFileError("is a naive time: give an offset or Z", row, "at", text)
        seconds[row] = (value - _EPOCH) // timedelta(seconds=1)
    return seconds


def _epoch_seconds(column: Any) -> Int64Array:
    """UTC epoch seconds (floored) from an ISO 8601 string or a zoned timestamp column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            first = column[0].as_py() if len(column) else None
            raise EventsFileError("is a naive time: give an offset or Z", 0, "at", str(first))
        # Zoned timestamps are stored as UTC counts of their unit.
        per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[column.type.unit]
        counts = _integers(column.cast(pa.int64()))
        return np.floor_divide(counts, per_second)
    try:
        micros = pc.cast(column.cast(pa.string()), pa.timestamp("us", tz="UTC"))
    except pa.ArrowInvalid:
        micros = None
    if micros is None or micros.null_count:
        # Arrow's fast parser refused something: fall back to Python's ISO 8601 reading
        # (the one the JSON commands use), row by row, naming the first bad row.
        return _parse_rows(column.cast(pa.string()).to_pylist())
    return np.floor_divide(_integers(micros.cast(pa.int64())), _MICROS)


def read_event_columns(
    path: Path, type_labels: Sequence[str], status_labels: Sequence[str]
) -> EventColumns:
    """Read an events file and code its columns; raises :class:`EventsFileError`."""
    return columns_from_table(read_table(path), type_labels, status_labels)


def columns_from_table(
    table: Any, type_labels: Sequence[str], status_labels: Sequence[str]
) -> EventColumns:
    """Code a pyarrow table with issue 6's columns (see :class:`EventColumns`)."""
    import pyarrow.compute as pc

    columns = {name: table.column(name).combine_chunks() for name in COLUMNS}
    for name in ("order_id", "at", "type"):
        if columns[name].null_count:
            row = columns[name].is_null().to_pylist().index(True)
            raise EventsFileError("is missing", row, name, None)
    order = _integers(pc.dictionary_encode(columns["order_id"]).indices)
    return EventColumns(
        order=order,
        at=_epoch_seconds(columns["at"]),
        type=_codes(columns["type"], type_labels, "type"),
        status=_codes(columns["status"], status_labels, "status"),
    )
