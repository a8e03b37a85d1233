"""A chart with its table: the page draws the chart (an ECharts option), shows the
table beside it and offers the table as a CSV or XLSX file, so every figure can be
read without the chart and taken into a spreadsheet.

The CSV starts with a byte-order mark, so that Excel reads the Chinese labels as UTF-8.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi.responses import Response
from openpyxl import Workbook

from touchpoint.api.deps import SessionDep
from touchpoint.services.base import Actor
from touchpoint.services.exports import record_table_download

__all__ = ["DOWNLOADS", "ChartTable", "audited_download", "download"]

#: The file formats a table downloads as.
DOWNLOADS = ("csv", "xlsx")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ChartTable:
    """One figure of a page: its key (the element ids and the download's name), title,
    chart option (empty: nothing to draw) and table."""

    key: str
    title: str
    chart: dict[str, Any]
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _csv(table: ChartTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(table: ChartTable) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.key[:31])  # Excel's limit on a sheet's name
    sheet.append(list(table.columns))
    for row in table.rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(table: ChartTable, fmt: str, stem: str) -> Response:
    """``table`` as a file named ``stem-<key>.<fmt>`` (``fmt`` one of :data:`DOWNLOADS`)."""
    if fmt not in DOWNLOADS:
        raise ValueError(f"download: {fmt!r} is not one of {DOWNLOADS}")
    if fmt == "csv":
        body, media = _csv(table), "text/csv; charset=utf-8"
    else:
        body, media = _xlsx(table), _XLSX
    name = f"{stem}-{table.key}.{fmt}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def audited_download(
    session: SessionDep,
    actor: Actor,
    table: ChartTable,
    fmt: str,
    stem: str,
    *,
    now: datetime,
) -> Response:
    """:func:`download`, recorded in the audit log under the file's name."""
    response = download(table, fmt, stem)
    name = f"{stem}-{table.key}.{fmt}"
    record_table_download(session, actor, name, fmt, len(table.rows), now=now)
    return response
