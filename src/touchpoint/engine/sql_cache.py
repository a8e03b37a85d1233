"""A disk cache of the SQL that Ibis compiles, so a repeated CLI run skips Ibis.

Importing Ibis and compiling an aggregation costs a command-line run about
0.35 s, yet the SQL depends only on things known before any data is read: the
analysis and its options, the file's column names and DuckDB types, and the
code that builds the expression. The cache key holds all of them (plus the
versions of touchpoint, Ibis, sqlglot and DuckDB and a hash of the engine and
quality sources), so an entry can only be found by a run that would compile
the very same SQL. A hit executes that SQL on DuckDB directly; a miss compiles
with Ibis as always and stores the result.

Only SQL is cached, never results: every run reads the whole file, and the
cell checks (range and text checks) are part of the cached SQL, so bad input
is still found and reported cell by cell.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from touchpoint.engine._compat import quiet_backend_deprecations
from touchpoint.engine.run import Progress, fetch_rows, fetch_sql
from touchpoint.engine.sources import Source

__all__ = ["CACHE_FORMAT", "cache_key", "fetch_cached"]

#: Bump when the entry layout or anything else outside the hashed sources
#: changes what an entry means.
CACHE_FORMAT = 1

_PACKAGE = Path(__file__).resolve().parent.parent
#: The sources whose code decides the compiled SQL.
_HASHED_PACKAGES = ("engine", "quality")


@functools.cache
def _sources_digest() -> str:
    digest = hashlib.sha256()
    for package in _HASHED_PACKAGES:
        for path in sorted((_PACKAGE / package).glob("*.py")):
            digest.update(f"{package}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def cache_key(src: Source, analysis: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Everything that changes the SQL compiled for ``analysis`` on ``src``."""
    import duckdb

    return {
        "format": CACHE_FORMAT,
        "touchpoint": _version("touchpoint"),
        "ibis": _version("ibis-framework"),
        "sqlglot": _version("sqlglot"),
        "duckdb": duckdb.__version__,
        "sources": _sources_digest(),
        "analysis": analysis,
        "options": options,
        "view": src.view,
        "layout": [list(column) for column in src.layout],
    }


def _entry_path(directory: Path, key: Mapping[str, Any]) -> tuple[Path, str]:
    material = json.dumps(key, sort_keys=True, ensure_ascii=True)
    name = hashlib.sha256(material.encode()).hexdigest()
    return directory / f"{name}.json", material


def _load(path: Path, material: str) -> str | None:
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # The full key is stored and compared, not only its hash.
    if not isinstance(entry, dict) or entry.get("key") != material:
        return None
    sql = entry.get("sql")
    return sql if isinstance(sql, str) else None


def _store(path: Path, material: str, sql: str) -> None:
    """Write atomically; a cache that cannot be written is simply not used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"key": material, "sql": sql}, out)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def fetch_cached(
    src: Source,
    analysis: str,
    options: Mapping[str, Any],
    build: Callable[[], Any],
    progress: Progress | None,
    cache_dir: str | os.PathLike[str] | None,
) -> list[dict[str, Any]]:
    """Rows of the aggregation ``build()`` builds, through the SQL cache when possible.

    The cache applies to files opened on the default embedded DuckDB (``src``
    has a raw connection); anything else runs through Ibis as usual.
    """
    if cache_dir is None or src.connection is None:
        return fetch_rows(src.backend, build(), src.label, progress)
    path, material = _entry_path(Path(cache_dir), cache_key(src, analysis, options))
    sql = _load(path, material)
    if sql is None:
        with quiet_backend_deprecations():
            sql = str(src.backend.compile(build()))
        _store(path, material, sql)
    return fetch_sql(src.connection, sql, src.label, progress)
