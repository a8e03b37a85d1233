"""Open survey data as an Ibis table: CSV, Parquet, XLSX (first sheet) or a DataFrame.

DuckDB (embedded, in memory) is the default backend; any Ibis backend object
can be passed instead (the Spark parity test passes PySpark). A :class:`Source`
also knows how to re-read the raw cells in file order, which the engine only
does to name the first bad cell after the aggregation pass found one.
"""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from touchpoint.engine._compat import quiet_backend_deprecations
from touchpoint.engine.cells import ColumnKind, Scale, column_kind
from touchpoint.engine.csv_check import header_of, structure_problem
from touchpoint.engine.errors import InputError, format_value

__all__ = ["PLAN_VIEW", "Source", "SourceLike", "duckdb_kind", "open_source"]

#: Anything the engine can read: a path, a pandas/Polars DataFrame, a pyarrow
#: Table or an Ibis table expression.
SourceLike = str | os.PathLike[str] | Any

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_names = itertools.count(1)
#: The view :meth:`Source.planned` creates on a raw DuckDB connection.
PLAN_VIEW = "touchpoint_plan"

RowReader = Callable[[Sequence[str]], Iterator[tuple[int, list[object]]]]
#: Finds what breaks a file's shape (see :mod:`touchpoint.engine.csv_check`).
StructureCheck = Callable[[], InputError | None]


@dataclass
class Source:
    """An opened data source: its Ibis table, backend and raw-cell reader.

    A CSV or Parquet file opened on the default backend is opened on a plain
    DuckDB connection (``connection``, with the file as view ``view`` whose
    DESCRIBE rows are ``layout``); its Ibis backend and table are built only
    when first asked for, so a run whose SQL is cached never imports Ibis.

    ``ibis_backend`` and ``ibis_table`` hold what :attr:`backend` and
    :attr:`table` answer: given when the source is opened on an Ibis backend,
    built on first use when it is opened on a plain DuckDB connection.
    ``check_structure`` (CSV files only) names the line that breaks the file's
    shape, asked only after a read failed (see :meth:`reading`).
    """

    label: str
    kinds: dict[str, ColumnKind]
    read_rows: RowReader = field(repr=False)
    size_bytes: int = 0
    connection: Any = field(default=None, repr=False)
    view: str = ""
    layout: tuple[tuple[str, str], ...] = ()
    ibis_backend: Any = field(default=None, repr=False)
    ibis_table: Any = field(default=None, repr=False)
    check_structure: StructureCheck | None = field(default=None, repr=False)

    @property
    def backend(self) -> Any:
        """The Ibis backend (wrapping ``connection`` when there is one)."""
        if self.ibis_backend is None:
            import ibis

            self.ibis_backend = ibis.duckdb.from_connection(self.connection)
        return self.ibis_backend

    @property
    def table(self) -> Any:
        """The Ibis table of the source."""
        if self.ibis_table is None:
            self.ibis_table = _described_table(self.layout, self.view)
        return self.ibis_table

    @property
    def columns(self) -> list[str]:
        """Column names in source order."""
        return list(self.kinds)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Turn a failed read of a malformed CSV file into the error naming its line.

        DuckDB reports a row with the wrong number of fields, found past the
        part of the file its sniffer samples, only as "CSV Error on Line: N".
        """
        try:
            yield
        except InputError as exc:
            problem = None if self.check_structure is None else self.check_structure()
            if problem is None:
                raise
            raise problem from exc

    def require(self, columns: Sequence[str]) -> None:
        """Raise :class:`InputError` naming the first missing column."""
        present = set(self.kinds)
        missing = [c for c in columns if c not in present]
        if missing:
            shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
            noun = "column" if len(missing) == 1 else "columns"
            raise InputError(
                self.label,
                f"missing required {noun} {shown}",
                code="missing_columns",
                params={"columns": shown},
            )

    def planned(self, names: Sequence[tuple[str, str]]) -> Source:
        """The columns an analysis reads, renamed to the analysis's own names.

        ``names`` pairs each source column with its name in the analysis (``E1``
        stays ``E1``; a Kano feature ``app_login_f`` becomes ``K1_f``; the
        ``--by`` column becomes ``by__``). The SQL compiled over the result
        depends only on those names and the kind of each column, never on
        what the file calls its columns, so one compiled query serves every
        file of the same shape (see :mod:`touchpoint.engine.sql_cache`).

        On a raw DuckDB connection this is a view over the source view, and
        every integer type is declared ``BIGINT`` (the compiled SQL only ever
        casts integers to DOUBLE or compares them, so their width does not
        matter). Elsewhere it is an Ibis projection. Bad cells are still
        reported by the original source, under the file's own column names.
        """
        if self.connection is None:
            t = self.table
            table = t.select(**{plan: t[column] for column, plan in names})
            kinds = {plan: self.kinds[column] for column, plan in names}
            return Source(
                self.label,
                kinds,
                self.read_rows,
                self.size_bytes,
                ibis_backend=self.ibis_backend,
                ibis_table=table,
                check_structure=self.check_structure,
            )
        types = dict(self.layout)
        layout = tuple(
            (plan, "BIGINT" if duckdb_kind(types[column]) == "integer" else types[column])
            for column, plan in names
        )
        columns = ", ".join(f"{_quoted(column)} AS {_quoted(plan)}" for column, plan in names)
        # Identifiers are quoted (quotes doubled); no other text reaches the statement.
        self.connection.execute(
            f"CREATE OR REPLACE TEMP VIEW {_quoted(PLAN_VIEW)} AS "  # noqa: S608
            f"SELECT {columns} FROM {_quoted(self.view)}"
        )
        return Source(
            self.label,
            {plan: duckdb_kind(kind) for plan, kind in layout},
            self.read_rows,
            self.size_bytes,
            connection=self.connection,
            view=PLAN_VIEW,
            layout=layout,
            ibis_backend=self.ibis_backend,
            check_structure=self.check_structure,
        )

    def first_bad_cell(self, checks: Sequence[tuple[str, Scale]]) -> InputError:
        """The error for the first bad cell (lowest row, then column order).

        A malformed CSV file is reported by its first malformed line instead:
        DuckDB reads some of them leniently (a quote left open swallows the
        following lines into one cell), and that cell's value says nothing.
        """
        malformed = None if self.check_structure is None else self.check_structure()
        if malformed is not None:
            return malformed
        order = {name: i for i, name in enumerate(self.kinds)}
        ordered = sorted(checks, key=lambda check: order[check[0]])
        names = [name for name, _ in ordered]
        for row, values in self.read_rows(names):
            for (name, scale), raw in zip(ordered, values, strict=True):
                problem = scale.problem(raw)
                if problem is not None:
                    return InputError(
                        self.label,
                        problem.text,
                        row=row,
                        column=name,
                        value=raw,
                        code=problem.code,
                        params={"row": row, "column": name, **problem.params},
                    )
        # The aggregate saw a bad cell the row reader does not (should not happen).
        return InputError(
            self.label, f"column(s) {', '.join(names)} hold values outside the expected scale"
        )


def _quoted(identifier: str) -> str:
    """A DuckDB identifier in double quotes, quotes inside doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def _default_backend() -> Any:
    import ibis

    return ibis.duckdb.connect()


def _plain_duckdb() -> Any:
    """A new in-memory DuckDB connection set up as ``ibis.duckdb.connect()`` sets its own."""
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET python_enable_replacements = false")
    return connection


#: DuckDB's integer types; DECIMAL, FLOAT, DOUBLE and HUGEINT (which Ibis reads
#: as a decimal) are floating; everything else is text. This is Ibis's own
#: classification of DuckDB types (a test holds the two together).
_DUCKDB_INTEGERS = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_DUCKDB_FLOATING = frozenset({"FLOAT", "REAL", "DOUBLE", "HUGEINT"})


def duckdb_kind(type_name: str) -> ColumnKind:
    """Classify a DuckDB type name (as DESCRIBE prints it) without Ibis."""
    name = type_name.strip().upper()
    if name in _DUCKDB_INTEGERS:
        return "integer"
    if name in _DUCKDB_FLOATING or name.startswith("DECIMAL"):
        return "floating"
    return "string"


def _is_duckdb(backend: Any) -> bool:
    return getattr(backend, "name", "") == "duckdb"


def _kinds(table: Any) -> dict[str, ColumnKind]:
    schema = table.schema()
    return {name: column_kind(schema[name]) for name in schema.names}


def open_source(source: SourceLike, backend: Any = None) -> Source:
    """Open ``source`` on ``backend`` (a new embedded DuckDB when ``None``)."""
    with quiet_backend_deprecations():
        return _open(source, backend)


def _open(source: SourceLike, backend: Any) -> Source:
    module = type(source).__module__
    if isinstance(source, str | os.PathLike):
        return _open_path(Path(source), str(source), backend)
    if module.startswith("ibis"):
        return _open_ibis(source)
    if module.startswith("pandas"):
        import pyarrow as pa

        return _open_arrow(pa.Table.from_pandas(source, preserve_index=False), backend)
    if module.startswith("polars"):
        return _open_arrow(source.to_arrow(), backend)
    if module.startswith("pyarrow"):
        return _open_arrow(source, backend)
    raise TypeError(
        "source must be a file path, a pandas or Polars DataFrame, a pyarrow Table "
        f"or an Ibis table, got {type(source).__name__}"
    )


def _open_path(path: Path, label: str, backend: Any) -> Source:
    if not path.is_file():
        raise InputError(label, "no such file")
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES:
        return _open_arrow(_read_xlsx(path, label), backend, label=label, size=path.stat().st_size)
    if suffix not in _CSV_SUFFIXES | _PARQUET_SUFFIXES:
        raise InputError(
            label, f"unsupported file type {suffix or '(none)'}: use CSV, Parquet or XLSX"
        )
    if backend is None:
        # A private connection: one fixed view name keeps its compiled SQL the
        # same from run to run (see sql_cache).
        return _open_duckdb_file(path, label, suffix, _plain_duckdb(), "touchpoint_source")
    name = f"touchpoint_source_{next(_names)}"
    if _is_duckdb(backend):
        source = _open_duckdb_file(path, label, suffix, backend.con, name)
        source.ibis_backend = backend
        source.connection = None  # a caller's backend: no SQL cache
        return source
    check = _structure_check(path, label, suffix)
    try:
        if suffix in _PARQUET_SUFFIXES:
            table = backend.read_parquet(str(path), table_name=name)
            reader = _parquet_rows(path)
        else:
            table = backend.read_csv(str(path), table_name=name, header=True)
            reader = _csv_rows(path)
    except InputError:
        raise
    except Exception as exc:  # the backends raise their own error types
        problem = None if check is None else check()
        raise problem or InputError(label, f"cannot read the file: {_first_line(exc)}") from exc
    return Source(
        label,
        _kinds(table),
        reader,
        path.stat().st_size,
        ibis_backend=backend,
        ibis_table=table,
        check_structure=check,
    )


def _structure_check(path: Path, label: str, suffix: str) -> StructureCheck | None:
    """The structure check of a CSV file, ``None`` for other files."""
    if suffix not in _CSV_SUFFIXES:
        return None
    return lambda: structure_problem(path, label, suffix)


def _describe(connection: Any, name: str) -> tuple[tuple[str, str], ...]:
    """DuckDB's DESCRIBE of view ``name``: (column, type) pairs in column order.

    Ibis's ``read_parquet``/``table`` fetch the schema through pyarrow, which
    every CLI run would then have to import; DESCRIBE answers with tuples.
    """
    described = connection.execute(f'DESCRIBE "{name}"').fetchall()
    return tuple((str(row[0]), str(row[1])) for row in described)


def _described_table(layout: Sequence[tuple[str, str]], name: str) -> Any:
    """An Ibis table over DuckDB view ``name`` typed from its DESCRIBE rows."""
    import ibis
    from ibis.backends.sql.datatypes import DuckDBType

    schema = ibis.schema({column: DuckDBType.from_string(kind) for column, kind in layout})
    return ibis.table(schema, name=name)


def _open_duckdb_file(path: Path, label: str, suffix: str, connection: Any, name: str) -> Source:
    literal = "'" + str(path).replace("'", "''") + "'"
    if suffix in _PARQUET_SUFFIXES:
        scan = f"read_parquet({literal})"
        reader = _parquet_rows(path)
    else:
        # Every cell as text: the engine decides what is a number, so text in a
        # numeric column is reported, not guessed around. The quote is the
        # standard one: left to guess, DuckDB reads a file with a quote left
        # open as if nothing were quoted, and "north" keeps its quotes.
        delimiter = ", delim = '\t'" if suffix == ".tsv" else ""
        dialect = f"header = true, all_varchar = true, quote = '\"', escape = '\"'{delimiter}"
        scan = f"read_csv({literal}, {dialect})"
        reader = _csv_rows(path)
    # The view name is our own counter and the path a quoted literal (quotes
    # doubled); nothing else reaches the statement.
    statement = f'CREATE VIEW "{name}" AS SELECT * FROM {scan}'  # noqa: S608
    check = _structure_check(path, label, suffix)
    try:
        connection.execute(statement)
        layout = _describe(connection, name)
    except Exception as exc:  # DuckDB raises its own error types
        problem = None if check is None else check()
        raise problem or InputError(label, f"cannot read the file: {_first_line(exc)}") from exc
    if check is not None and [column for column, _ in layout] != header_of(path, suffix):
        # DuckDB's sniffer read another header than the file's first line holds:
        # a malformed row made it guess another dialect. Name that row.
        problem = check()
        if problem is not None:
            raise problem
    kinds = {column: duckdb_kind(kind) for column, kind in layout}
    return Source(
        label,
        kinds,
        reader,
        path.stat().st_size,
        connection=connection,
        view=name,
        layout=layout,
        check_structure=check,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _open_arrow(data: Any, backend: Any, label: str = "<DataFrame>", size: int = 0) -> Source:
    import ibis

    backend = _default_backend() if backend is None else backend
    name = f"touchpoint_source_{next(_names)}"
    if _is_duckdb(backend):
        backend.con.register(name, data)
        table = _described_table(_describe(backend.con, name), name)
    else:
        table = ibis.memtable(data, name=name)
    return Source(
        label,
        _kinds(table),
        _arrow_rows(data),
        size or data.nbytes,
        ibis_backend=backend,
        ibis_table=table,
    )


def _open_ibis(table: Any) -> Source:
    # The backend the table is bound to (the default backend for an unbound
    # in-memory table).
    backend = table.get_backend()

    def rows(columns: Sequence[str]) -> Iterator[tuple[int, list[object]]]:
        return _arrow_rows(backend.to_pyarrow(table.select(*columns)))(columns)

    return Source("<table>", _kinds(table), rows, ibis_backend=backend, ibis_table=table)


def _batch_rows(batches: Iterable[Any]) -> Iterator[tuple[int, list[object]]]:
    """The rows of pyarrow record ``batches`` as ``(row number from 1, values)``."""
    offset = 0
    for batch in batches:
        lists = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for i in range(batch.num_rows):
            yield offset + i + 1, [values[i] for values in lists]
        offset += batch.num_rows


def _arrow_rows(data: Any) -> RowReader:
    def rows(columns: Sequence[str]) -> Iterator[tuple[int, list[object]]]:
        yield from _batch_rows(data.select(list(columns)).to_batches(max_chunksize=65_536))

    return rows


def _parquet_rows(path: Path) -> RowReader:
    def rows(columns: Sequence[str]) -> Iterator[tuple[int, list[object]]]:
        import pyarrow.parquet as pq

        file = pq.ParquetFile(path)
        yield from _batch_rows(file.iter_batches(batch_size=65_536, columns=list(columns)))

    return rows


def _csv_rows(path: Path) -> RowReader:
    def rows(columns: Sequence[str]) -> Iterator[tuple[int, list[object]]]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(65_536)
            handle.seek(0)
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(handle, dialect)
            header = next(reader, [])
            index = {name: i for i, name in enumerate(header)}
            positions = [index[c] for c in columns]
            row_number = 0
            for record in reader:
                if not record:
                    continue  # blank line: not a respondent
                row_number += 1
                yield row_number, [record[p] if p < len(record) else None for p in positions]

    return rows


def _read_xlsx(path: Path, label: str) -> Any:
    """First sheet as a pyarrow Table: numeric columns as float64, others as text."""
    import openpyxl
    import pyarrow as pa

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile and XML errors alike
        raise InputError(label, f"cannot read the workbook: {_first_line(exc)}") from exc
    try:
        sheet = workbook.worksheets[0]
        records = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    while records and all(v is None or v == "" for v in records[-1]):
        records.pop()
    if not records:
        raise InputError(label, "the first sheet is empty")
    header = [("" if v is None else str(v)).strip() for v in records[0]]
    body = records[1:]
    columns: dict[str, Any] = {}
    for position, name in enumerate(header):
        if not name:
            continue
        if name in columns:
            raise InputError(label, f"column {name} appears twice in the header")
        values: list[Any] = [r[position] if position < len(r) else None for r in body]
        numeric = all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values
        )
        if numeric:
            columns[name] = pa.array(
                [None if v is None else float(v) for v in values], pa.float64()
            )
        else:
            columns[name] = pa.array(
                [None if v is None else _cell_text(v) for v in values], pa.string()
            )
    return pa.table(columns)


def _cell_text(value: object) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format_value(value)
    return str(value)
