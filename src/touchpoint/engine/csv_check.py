"""Name the line that breaks a CSV file's shape: a row with too few or too many
fields, or a quote that is never closed.

DuckDB answers such a file either with a guessed dialect (one column named
after the whole header line, which the analyses then report as "missing
required columns") or with "CSV Error on Line: N" and no reason. This module
reads the file again with Python's :mod:`csv`, only after such a failure, and
says which line is wrong and how, e.g. ``survey.csv line 7: 3 fields, the
header has 12``. Lines are physical lines of the file, the header being line 1.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from touchpoint.engine.errors import InputError

__all__ = ["delimiter_of", "header_of", "structure_problem"]

#: What to do with a file that is not UTF-8: Excel's plain "CSV" on a Chinese Windows
#: writes GBK (GB18030 reads it), the usual way such files arrive.
_NOT_UTF8_HINT = (
    "save it as CSV UTF-8 (Excel: Save As, CSV UTF-8), or convert it, "
    "e.g. iconv -f GB18030 -t UTF-8 for Excel's CSV on a Chinese Windows"
)

#: Delimiters a survey file may use; on a tie the first one wins.
DELIMITERS = ",;\t|"


def delimiter_of(header_line: str, suffix: str) -> str:
    """The delimiter of a file whose first line is ``header_line``.

    A ``.tsv`` file is tab-separated; otherwise the candidate that occurs most
    often outside quotes in the header, ``,`` when none does.
    """
    if suffix.lower() == ".tsv":
        return "\t"
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(path: Path, suffix: str) -> Iterator[tuple[int, int, list[str]]]:
    """``(first line, last line, fields)`` of every record, blank lines included.

    Raises :class:`csv.Error` with ``args == (message, first line, last line)``
    when a record cannot be parsed.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        delimiter = delimiter_of(handle.readline(), suffix)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', strict=True)
        end = 0
        while True:
            start = end + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise csv.Error(str(exc), start, reader.line_num) from None
            end = reader.line_num
            yield start, end, record


def header_of(path: Path, suffix: str) -> list[str] | None:
    """The header's field names as Python's csv reads them; ``None`` if unreadable."""
    try:
        for _, _, record in _records(path, suffix):
            return record
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


def _quote_problem(message: str, start: int, end: int) -> str:
    """What a :class:`csv.Error` on the record of lines ``start``–``end`` means."""
    if message.startswith("unexpected end of data"):
        return "unterminated quote (the quoted field runs to the end of the file)"
    if message.startswith("field larger than field limit"):
        return (
            "unterminated quote (the quoted field runs on for more than "
            f"{csv.field_size_limit()} characters)"
        )
    if end > start:
        return f"unterminated quote (the quoted field runs on to line {end})"
    return f"bad quoting: {message}"


def _not_utf8(path: Path, label: str) -> InputError | None:
    """The first line of ``path`` that is not UTF-8, named with its bad byte. Line by
    line, so a large file is never held whole (a newline byte is never part of a UTF-8
    character)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raw = line[exc.start : exc.end].hex(" ")
                return InputError(
                    label,
                    f"not UTF-8 text (byte {exc.start + 1} of the line is 0x{raw}); "
                    f"{_NOT_UTF8_HINT}",
                    line=number,
                )
    return None


def structure_problem(path: Path, label: str, suffix: str) -> InputError | None:
    """The first line of ``path`` that is not UTF-8 text, or has the wrong number of
    fields or bad quoting.

    ``None`` when every record has as many fields as the header (blank lines
    are skipped, as the readers skip them) or the file cannot be read: then the
    caller's own error stands.
    """
    width: int | None = None
    try:
        for start, end, record in _records(path, suffix):
            if width is None:
                width = len(record)
            elif record and len(record) != width:
                problem = f"{len(record)} fields, the header has {width}"
                if end > start:
                    problem += f" (a quoted field runs on to line {end}: is a quote left open?)"
                return InputError(label, problem, line=start)
    except csv.Error as exc:
        message, start, end = exc.args
        return InputError(label, _quote_problem(message, start, end), line=start)
    except UnicodeDecodeError:
        return _not_utf8(path, label)
    except OSError:
        return None
    return None
