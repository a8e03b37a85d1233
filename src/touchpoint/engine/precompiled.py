"""Build the SQL that ships with touchpoint, so a first run needs no Ibis.

``python -m touchpoint.engine.precompiled`` runs the SERVQUAL and Kano
analyses on small sample files of the common shapes, with the shipped SQL
switched off and an empty cache directory, and writes every query Ibis
compiled on the way to ``precompiled_sql.zip`` (``--check`` only
compares), one member per query so that a run reads only the one it needs.
The shipped SQL is therefore exactly what the same run would compile: the
same expressions, the same key (see :mod:`touchpoint.engine.sql_cache`),
nothing written by hand.

Shapes: SERVQUAL answers stored as integers (Parquet), as floats (pandas
writes integer answers with blanks that way) or as text (every CSV column),
with or without the ``W_*`` allocation columns, with or without ``--by`` on
an integer or text column; Kano with 1 to :data:`MAX_FEATURES` features in
the same three storages. Any other shape is compiled on first use and kept in
the user's cache as before.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from touchpoint.engine.kano_report import kano
from touchpoint.engine.servqual_report import servqual
from touchpoint.engine.sql_cache import (
    CACHE_FORMAT,
    PRECOMPILED_FILE,
    precompiled_key,
    precompiled_member,
    precompiled_off,
    shared_key,
)

__all__ = ["MAX_FEATURES", "build", "encode", "main", "shipped"]

#: Kano questionnaires with more features than this compile on first use.
MAX_FEATURES = 30
_ROWS = 3


@dataclass(frozen=True)
class _Sample:
    """One sample file: its columns (name → Python values of one type each).

    Parquet stores ints as TINYINT, floats as DOUBLE and strings as VARCHAR;
    ``text`` storage writes a CSV, which the engine reads as text throughout.
    """

    storage: str  # "integer" | "float" | "text"
    columns: dict[str, list[Any]]

    def write(self, directory: Path, name: str) -> Path:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        if self.storage == "text":
            path = directory / f"{name}.csv"
            table = pa.table({c: [str(v) for v in values] for c, values in self.columns.items()})
            pacsv.write_csv(table, path)
            return path
        path = directory / f"{name}.parquet"
        types = {str: pa.string(), float: pa.float64(), int: pa.int8()}
        arrays = {c: pa.array(values, types[type(values[0])]) for c, values in self.columns.items()}
        pq.write_table(pa.table(arrays), path)
        return path


def _values(kind: str | None, values: list[int]) -> list[Any]:
    return [float(v) for v in values] if kind == "float" else values


def _answers(storage: str) -> dict[str, list[Any]]:
    return {
        f"{p}{i}": _values(storage, [1 + (i + r) % 7 for r in range(_ROWS)])
        for p in "EP"
        for i in range(1, 23)
    }


def _servqual_samples() -> Iterator[tuple[_Sample, str | None]]:
    weights = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
    for storage in ("integer", "float", "text"):
        weight_kinds: tuple[str | None, ...] = (
            (None, "integer", "float") if storage == "integer" else (None, storage)
        )
        by_kinds: tuple[str | None, ...] = (
            (None, "text") if storage == "text" else (None, "integer", "text")
        )
        for weight_kind in weight_kinds:
            for by_kind in by_kinds:
                columns = _answers(storage)
                if weight_kind is not None:
                    for w in weights:
                        columns[f"W_{w}"] = _values(weight_kind, [20, 25, 15])
                if by_kind is not None:
                    columns["segment"] = [1, 2, 1] if by_kind == "integer" else ["a", "b", "a"]
                yield _Sample(storage, columns), None if by_kind is None else "segment"


def _kano_samples() -> Iterator[_Sample]:
    for storage in ("integer", "float", "text"):
        for n in range(1, MAX_FEATURES + 1):
            columns: dict[str, list[Any]] = {}
            for k in range(1, n + 1):
                columns[f"F{k}_f"] = _values(storage, [1 + (k + r) % 5 for r in range(_ROWS)])
                columns[f"F{k}_d"] = _values(storage, [1 + (2 * k + r) % 5 for r in range(_ROWS)])
            yield _Sample(storage, columns)


def build() -> dict[str, Any]:
    """The shipped document: every query the sample runs compile, keyed and sorted."""
    with tempfile.TemporaryDirectory() as tmp, precompiled_off():
        directory, cache = Path(tmp), Path(tmp) / "cache"
        for index, (sample, by) in enumerate(_servqual_samples()):
            servqual(sample.write(directory, f"servqual{index}"), by=by, sql_cache=cache)
        for index, sample in enumerate(_kano_samples()):
            kano(sample.write(directory, f"kano{index}"), sql_cache=cache)
        entries = []
        for path in sorted(cache.glob("*.json")):
            entry = json.loads(path.read_text(encoding="utf-8"))
            entries.append({"key": shared_key(json.loads(entry["key"])), "sql": entry["sql"]})
    entries.sort(key=lambda e: precompiled_key(e["key"]))
    return {"format": CACHE_FORMAT, "entries": entries}


#: A fixed timestamp for every member, so the same SQL gives the same bytes.
_EPOCH = (2020, 1, 1, 0, 0, 0)


def encode(document: dict[str, Any]) -> bytes:
    """The archive: one deflated JSON member ``{"key", "sql"}`` per entry, in key order."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("format", _EPOCH), str(document["format"]))
        for entry in document["entries"]:
            info = zipfile.ZipInfo(precompiled_member(entry["key"]), _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, json.dumps(entry, sort_keys=True, ensure_ascii=True))
    return buffer.getvalue()


def shipped() -> dict[str, Any] | None:
    """The archive in the package as a document, or ``None`` when missing or unreadable."""
    import zipfile

    try:
        with zipfile.ZipFile(PRECOMPILED_FILE) as archive:
            fmt = int(archive.read("format"))
            entries = [
                json.loads(archive.read(name)) for name in archive.namelist() if name != "format"
            ]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    entries.sort(key=lambda e: precompiled_key(e["key"]))
    return {"format": fmt, "entries": entries}


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the shipped SQL; 1 when ``--check`` differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    document = build()
    if args.check:
        same = shipped() == document
        print(f"{PRECOMPILED_FILE.name}: {'up to date' if same else 'STALE, rebuild it'}")
        return 0 if same else 1
    PRECOMPILED_FILE.write_bytes(encode(document))
    print(f"wrote {len(document['entries'])} queries to {PRECOMPILED_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
