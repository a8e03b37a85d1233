"""A disk cache of the SQL that Ibis compiles, so a repeated CLI run skips Ibis.

Importing Ibis and compiling an aggregation is most of a command-line run's
start-up, yet the SQL depends only on things known before any data is read: the
analysis and its options, the file's column names and DuckDB types, and the
code that builds the expression. The cache key holds all of them (plus the
versions of touchpoint, Ibis, sqlglot and DuckDB and a hash of the engine and
quality sources), so an entry can only be found by a run that would compile
the very same SQL. A hit executes that SQL on DuckDB directly; a miss compiles
with Ibis as always and stores the result.

Only SQL is cached, never results: every run reads the whole file, and the
cell checks (range and text checks) are part of the cached SQL, so bad input
is still found and reported cell by cell.

Before the user's cache, a run looks in the SQL that ships with touchpoint
(``precompiled_sql.zip``, built by :mod:`touchpoint.engine.precompiled`
from these same expressions): the analyses read their columns through
:meth:`Source.planned`, under the analysis's own names, so the common shapes
(SERVQUAL with or without allocation weights and ``--by``; Kano with 1–30
features; Parquet integer answers or CSV text) compile to the same SQL for
every file and the first run on a new file needs no Ibis either. Its entries
are keyed like the cache minus the source digest; a test recompiles every
entry and fails when one differs, so a code change cannot leave them stale.
A cache directory of ``None`` turns both off: Ibis compiles every time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from touchpoint.engine._compat import quiet_backend_deprecations
from touchpoint.engine.run import Progress, fetch_rows, fetch_sql
from touchpoint.engine.sources import Source

__all__ = [
    "CACHE_FORMAT",
    "PRECOMPILED_FILE",
    "cache_key",
    "fetch_cached",
    "precompiled_key",
    "precompiled_member",
    "precompiled_off",
    "shared_key",
]

#: Bump when the entry layout or anything else outside the hashed sources
#: changes what an entry means.
CACHE_FORMAT = 1

_PACKAGE = Path(__file__).resolve().parent.parent
#: The SQL shipped with the package (see :mod:`touchpoint.engine.precompiled`).
PRECOMPILED_FILE = Path(__file__).resolve().parent / "precompiled_sql.zip"
#: Key fields a precompiled entry leaves out: the test that rebuilds every entry
#: stands in for the source digest.
_LOCAL_FIELDS = ("touchpoint", "sources")
_precompiled_enabled = True
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


def shared_key(key: Mapping[str, Any]) -> dict[str, Any]:
    """A cache key without the fields only a local cache entry needs."""
    return {name: value for name, value in key.items() if name not in _LOCAL_FIELDS}


def precompiled_key(key: Mapping[str, Any]) -> str:
    """The lookup text of a cache key among the precompiled entries."""
    return json.dumps(shared_key(key), sort_keys=True, ensure_ascii=True)


def precompiled_member(key: Mapping[str, Any]) -> str:
    """The archive member holding the precompiled entry for ``key``, if there is one."""
    return hashlib.sha256(precompiled_key(key).encode()).hexdigest() + ".json"


def _precompiled_sql(key: Mapping[str, Any]) -> str | None:
    """The shipped SQL for ``key``: one small archive member read, its full key compared."""
    import zipfile

    try:
        with zipfile.ZipFile(PRECOMPILED_FILE) as archive:
            entry = json.loads(archive.read(precompiled_member(key)))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    if not isinstance(entry, dict) or entry.get("key") != shared_key(key):
        return None
    sql = entry.get("sql")
    return sql if isinstance(sql, str) else None


@contextlib.contextmanager
def precompiled_off() -> Iterator[None]:
    """Ignore the shipped SQL (used to rebuild it and to test it against Ibis)."""
    global _precompiled_enabled  # a process-wide switch, for the builder and tests
    previous, _precompiled_enabled = _precompiled_enabled, False
    try:
        yield
    finally:
        _precompiled_enabled = previous


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
    has a raw connection); anything else runs through Ibis as usual. A read
    that fails on a malformed CSV file names the line at fault
    (:meth:`Source.reading`).
    """
    with src.reading():
        return _fetch(src, analysis, options, build, progress, cache_dir)


def _fetch(
    src: Source,
    analysis: str,
    options: Mapping[str, Any],
    build: Callable[[], Any],
    progress: Progress | None,
    cache_dir: str | os.PathLike[str] | None,
) -> list[dict[str, Any]]:
    if cache_dir is None or src.connection is None:
        return fetch_rows(src.backend, build(), src.label, progress)
    key = cache_key(src, analysis, options)
    sql = _precompiled_sql(key) if _precompiled_enabled else None
    if sql is not None:
        return fetch_sql(src.connection, sql, src.label, progress)
    path, material = _entry_path(Path(cache_dir), key)
    sql = _load(path, material)
    if sql is None:
        with quiet_backend_deprecations():
            sql = str(src.backend.compile(build()))
        _store(path, material, sql)
    return fetch_sql(src.connection, sql, src.label, progress)
