"""All-or-nothing imports of customers and transactions from CSV or XLSX.

Every row is checked first; any problem rejects the whole file with a report naming
each bad row (as numbered in the file, header = row 1), column and value.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.blocking import blocking_keys
from touchpoint.domain.contacts import TransactionKind
from touchpoint.domain.customers import (
    CustomerClass,
    CustomerKind,
    Identity,
    IdentityKind,
)
from touchpoint.domain.errors import DomainError
from touchpoint.services.base import Actor, require, write
from touchpoint.services.errors import ImportRejected, import_problem, refused_cell
from touchpoint.storage.customer_store import NewCustomer, insert_customers
from touchpoint.storage.models import Customer, CustomerIdentity, Transaction

__all__ = [
    "IMPORT_ENCODINGS",
    "ImportReport",
    "cell_instant",
    "import_customers",
    "import_transactions",
    "read_table",
]

#: Text encodings a CSV file may be sent in (the ``encoding`` field of an import), with
#: the codec that reads each: Excel's plain "CSV" is GBK on a Chinese Windows (GB18030,
#: its superset, reads GBK and GB2312 files), Big5 on a Traditional Chinese one and
#: Windows-1252 on a Western one. No guessing: a short file's encoding cannot be told.
IMPORT_ENCODINGS = {
    "utf-8": "utf-8-sig",
    "gb18030": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "big5": "big5",
    "windows-1252": "cp1252",
}

CUSTOMER_COLUMNS = (
    "name",
    "kind",
    "customer_class",
    "organisation",
    "phone",
    "email",
    "account",
    "social",
    "notes",
)
TRANSACTION_COLUMNS = (
    "customer_id",
    "account",
    "phone",
    "kind",
    "at",
    "amount",
    "currency",
    "reference",
    "description",
)

#: The values a customer file's ``kind`` and ``customer_class`` may hold, and a
#: transaction's ``kind`` (each list also says them in its problem message).
_CUSTOMER_CHOICES: tuple[tuple[str, list[str]], ...] = (
    ("kind", [e.value for e in CustomerKind]),
    ("customer_class", [e.value for e in CustomerClass]),
)
_TRANSACTION_KINDS: list[str] = [k.value for k in TransactionKind]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an accepted import wrote."""

    rows: int
    created_ids: list[int]


def read_table(
    content: bytes, filename: str, *, lower_case: bool = True, encoding: str = "utf-8"
) -> list[dict[str, str]]:
    """Rows of a CSV (text in ``encoding``, one of :data:`IMPORT_ENCODINGS`) or XLSX file
    as text (empty cells as ``""``); column names stripped and, unless ``lower_case`` is
    off (survey question ids), lower-cased."""
    name = filename.lower()
    try:
        if name.endswith(".xlsx"):
            frame = pd.read_excel(io.BytesIO(content), dtype=str, engine="openpyxl")
        elif name.endswith(".csv"):
            text = _csv_text(content, filename, encoding)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        else:
            raise DomainError(
                f"file: {filename!r} must end in .csv or .xlsx",
                code="import_file_type",
                params={"value": filename},
            )
    except DomainError:
        raise
    except Exception as exc:  # pandas/openpyxl raise many kinds on unreadable files
        raise DomainError(
            f"file: {filename!r} cannot be read ({exc.__class__.__name__}: {exc})",
            code="import_file_unreadable",
            params={"value": filename},
        ) from exc
    frame = frame.fillna("")
    frame.columns = [
        str(c).strip().lower() if lower_case else str(c).strip() for c in frame.columns
    ]
    return [{str(k): str(v).strip() for k, v in row.items()} for row in frame.to_dict("records")]


def _csv_text(content: bytes, filename: str, encoding: str) -> str:
    """A CSV file's text, said to be in ``encoding``; when it is not, the line and byte
    where decoding stopped are named."""
    codec = IMPORT_ENCODINGS.get(encoding.strip().lower())
    if codec is None:
        raise DomainError(
            f"encoding: {encoding!r} is not one of {', '.join(IMPORT_ENCODINGS)}",
            code="not_a_choice",
            params={"field": "encoding", "value": encoding},
        )
    try:
        return content.decode(codec)
    except UnicodeDecodeError as exc:
        # The bytes the codec read (after a UTF-8 byte-order mark), and where it stopped.
        read, start = exc.object, exc.start
        line = read.count(b"\n", 0, start) + 1
        position = start - read.rfind(b"\n", 0, start)
        raise DomainError(
            f"file: {filename!r} line {line}: not {encoding} text (byte {position} of the "
            f"line is 0x{read[start : exc.end].hex(' ')}); send the file's encoding "
            "(encoding=gb18030 for Excel's CSV on a Chinese Windows) or save it as CSV UTF-8",
            code="import_file_encoding",
            params={"line": line, "byte": position, "encoding": encoding},
        ) from None


def _unknown_columns(rows: list[dict[str, str]], allowed: tuple[str, ...]) -> list[dict[str, Any]]:
    if not rows:
        return [import_problem(1, "", "", "file has no data rows", code="import_no_rows")]
    extra = sorted(set(rows[0]) - set(allowed))
    columns = ", ".join(allowed)
    return [
        import_problem(
            1, c, c, f"unknown column; expected {list(allowed)}", code="import_unknown_column",
            params={"allowed": columns},
        )
        for c in extra
    ]  # fmt: skip


def _not_one_of(row: int, column: str, value: str, choices: list[str]) -> dict[str, Any]:
    return import_problem(
        row, column, value, f"must be one of {choices}", code="import_not_choice",
        params={"allowed": ", ".join(choices)},
    )  # fmt: skip


def import_customers(
    session: Session,
    actor: Actor,
    content: bytes,
    filename: str,
    *,
    now: datetime,
    encoding: str = "utf-8",
) -> ImportReport:
    """Import customers (columns: name, kind, customer_class, organisation, phone,
    email, account, social, notes); all rows or none."""
    require(actor, actor.role.can_supervise, "import customers")
    rows = read_table(content, filename, encoding=encoding)
    problems = _unknown_columns(rows, CUSTOMER_COLUMNS)
    parsed: list[tuple[dict[str, str], list[Identity]]] = []
    for i, row in enumerate(rows, start=2):
        name = " ".join(row.get("name", "").split())
        if not name:
            problems.append(
                import_problem(
                    i, "name", row.get("name", ""), "must not be empty", code="import_empty"
                )
            )
        for col, choices in _CUSTOMER_CHOICES:
            v = row.get(col, "")
            if v and v not in choices:
                problems.append(_not_one_of(i, col, v, choices))
        idents: list[Identity] = []
        for kind in IdentityKind:
            v = row.get(kind.value, "")
            if v:
                try:
                    idents.append(Identity.of(kind, v))
                except DomainError as exc:
                    problems.append(refused_cell(i, kind.value, v, exc))
        parsed.append((row, idents))
    if problems:
        raise ImportRejected(problems)
    # Built before the write, so the writer lock is held for the inserts only; their
    # blocking keys go in with them: merge candidates see the new customers at once.
    customers = [_new_customer(r, ids, now) for r, ids in parsed]
    with write(session, actor, "customer.import", now=now) as unit:
        created = insert_customers(session, customers)
        unit.audit(
            "customer",
            "import",
            before=None,
            after={"file": filename, "rows": len(parsed), "created_ids": created},
        )
    return ImportReport(rows=len(parsed), created_ids=created)


def _new_customer(row: dict[str, str], identities: list[Identity], now: datetime) -> NewCustomer:
    """A checked row of a customer file as the customer to insert."""
    name = " ".join(row["name"].split())
    values = {
        "kind": row.get("kind") or CustomerKind.PERSON.value,
        "customer_class": row.get("customer_class") or CustomerClass.NORMAL.value,
        "name": name,
        "organisation": row.get("organisation", ""),
        "preferences": {},
        "notes": row.get("notes", ""),
        "hostage": False,
        "hostage_basis": None,
        "hostage_note": "",
        "hostage_checked_response_id": 0,
        "merged_into_id": None,
        "created_at": now,
        "updated_at": now,
    }
    keys = sorted(blocking_keys(name, [(i.kind, i.normalised) for i in identities]))
    return NewCustomer(values, [(i.kind.value, i.value, i.normalised) for i in identities], keys)


def _amount_minor(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DomainError("not a number", code="import_not_number") from None
    if not value.is_finite():
        raise DomainError("not a finite number", code="import_not_number")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise DomainError("more than two decimal places", code="import_amount_decimals")
    if abs(cents) > 10**15:
        raise DomainError("too large", code="import_amount_too_large")
    return int(cents)


def cell_instant(text: str) -> datetime:
    """An import cell's ISO 8601 instant (with an offset or ``Z``)."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DomainError("not an ISO 8601 instant", code="import_not_instant") from None
    if at.tzinfo is None:
        raise DomainError("needs a time-zone offset or Z", code="import_instant_no_offset")
    return at


@dataclass(frozen=True, slots=True)
class _LiveCustomers:
    """The customers a file's transaction rows name: the ids among them of customers not
    merged away, and the named identities of live customers as ``(kind, normalised
    value)`` → customer id."""

    ids: set[int]
    by_identity: dict[tuple[str, str], int]


#: Values per ``IN (…)`` list when looking up a file's customers: well below SQLite's
#: and PostgreSQL's parameter limits, and an index probe each.
_LOOKUP_CHUNK = 500
#: Ids beyond a 64-bit integer name no customer and cannot be bound as parameters.
_MAX_ID = 2**63 - 1


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _LOOKUP_CHUNK):
        yield values[start : start + _LOOKUP_CHUNK]


def _live_customers(session: Session, rows: list[dict[str, str]]) -> _LiveCustomers:
    """Read the live customers and identities ``rows`` name, once, so that checking the
    rows asks the database nothing more: by primary key and by the identity index, a
    few hundred values per query, never the whole customer table (a desk may hold
    millions). Where two live customers share an identity, the one whose identity was
    recorded first is kept."""
    wanted_ids = sorted(
        {i for row in rows if (i := _as_id(row.get("customer_id", ""))) is not None}
    )
    ids: set[int] = set()
    live = Customer.merged_into_id.is_(None)
    for chunk in _chunks(wanted_ids):
        ids.update(session.scalars(select(Customer.id).where(Customer.id.in_(chunk), live)))
    by_identity: dict[tuple[str, str], int] = {}
    for kind, values in _named_identities(rows).items():
        for chunk in _chunks(sorted(values)):
            for cid, norm in session.execute(
                select(CustomerIdentity.customer_id, CustomerIdentity.normalised)
                .join(Customer, Customer.id == CustomerIdentity.customer_id)
                .where(
                    CustomerIdentity.kind == kind,
                    CustomerIdentity.normalised.in_(chunk),
                    live,
                )
                .order_by(CustomerIdentity.id)
            ):
                by_identity.setdefault((kind, norm), cid)
    return _LiveCustomers(ids=ids, by_identity=by_identity)


def _as_id(text: str) -> int | None:
    """``text`` as :func:`_row_customer` reads a ``customer_id``, when it can name one."""
    if not text.isdigit():
        return None
    try:
        value = int(text)
    except ValueError:  # digits int() does not read, such as "²"
        return None
    return value if value <= _MAX_ID else None


def _named_identities(rows: list[dict[str, str]]) -> dict[str, set[str]]:
    """The normalised accounts and phones that rows without a ``customer_id`` name (a
    value that does not normalise is reported by :func:`_row_customer`)."""
    named: dict[str, set[str]] = {}
    for row in rows:
        identity = None if row.get("customer_id", "") else _named_identity(row)
        if identity is None:
            continue
        col, value = identity
        try:
            norm = Identity.of(IdentityKind(col), value).normalised
        except DomainError:
            continue
        named.setdefault(col, set()).add(norm)
    return named


def _named_identity(row: dict[str, str]) -> tuple[str, str] | None:
    """The identity column and value that name a row's customer when it has no
    ``customer_id``: its ``account``, or else its ``phone`` (the first of the two that
    is filled in decides); ``None`` when both are blank."""
    for col in ("account", "phone"):
        value = row.get(col, "")
        if value:
            return col, value
    return None


def _row_customer(
    row: dict[str, str], i: int, customers: _LiveCustomers, problems: list[dict[str, Any]]
) -> int | None:
    """The customer of row ``i``: its ``customer_id`` when given, otherwise the customer
    holding its ``account`` or else its ``phone`` (the first of the two that is filled
    in decides). ``None``, with a problem noted, when the row names no live customer."""
    raw_id = row.get("customer_id", "")
    if raw_id:
        cid = _as_id(raw_id)
        if cid is None or cid not in customers.ids:
            problems.append(
                import_problem(
                    i, "customer_id", raw_id, "no such customer", code="import_no_customer"
                )
            )
            return None
        return cid
    identity = _named_identity(row)
    if identity is None:
        problems.append(
            import_problem(
                i, "customer_id", "", "give customer_id, account or phone", code="import_unnamed"
            )
        )
        return None
    col, v = identity
    try:
        norm = Identity.of(IdentityKind(col), v).normalised
    except DomainError as exc:
        problems.append(refused_cell(i, col, v, exc))
        return None
    customer = customers.by_identity.get((col, norm))
    if customer is None:
        problems.append(
            import_problem(
                i, col, v, "no customer has this identity", code="import_unknown_identity"
            )
        )
    return customer


def _row_transaction(
    row: dict[str, str], i: int, customers: _LiveCustomers, problems: list[dict[str, Any]]
) -> Transaction | None:
    """Row ``i`` of a transactions file as a new :class:`Transaction`, every bad column
    noted in ``problems``. ``None`` when its customer or instant is unusable; a row with
    only other problems is still built, since ``problems`` rejects the file anyway."""
    customer = _row_customer(row, i, customers, problems)
    kind = row.get("kind", "")
    if kind not in _TRANSACTION_KINDS:
        problems.append(_not_one_of(i, "kind", kind, _TRANSACTION_KINDS))
    at: datetime | None = None
    try:
        at = cell_instant(row.get("at", ""))
    except DomainError as exc:
        problems.append(refused_cell(i, "at", row.get("at", ""), exc))
    amount = 0
    if row.get("amount", ""):
        try:
            amount = _amount_minor(row["amount"])
        except DomainError as exc:
            problems.append(refused_cell(i, "amount", row["amount"], exc))
    currency = (row.get("currency") or "CNY").upper()
    if len(currency) != 3 or not currency.isalpha():
        problems.append(
            import_problem(
                i, "currency", row.get("currency", ""), "not a three-letter code",
                code="import_currency",
            )
        )  # fmt: skip
    if customer is None or at is None:
        return None
    return Transaction(
        customer_id=customer,
        kind=kind,
        at=at,
        amount_minor=amount,
        currency=currency,
        reference=row.get("reference", ""),
        description=row.get("description", ""),
    )


def import_transactions(
    session: Session,
    actor: Actor,
    content: bytes,
    filename: str,
    *,
    now: datetime,
    encoding: str = "utf-8",
) -> ImportReport:
    """Import transactions (columns: customer_id or account or phone, kind, at, amount,
    currency, reference, description); all rows or none."""
    require(actor, actor.role.can_supervise, "import transactions")
    rows = read_table(content, filename, encoding=encoding)
    problems = _unknown_columns(rows, TRANSACTION_COLUMNS)
    customers = _live_customers(session, rows)
    parsed: list[Transaction] = []
    for i, row in enumerate(rows, start=2):
        transaction = _row_transaction(row, i, customers, problems)
        if transaction is not None:
            parsed.append(transaction)
    if problems:
        raise ImportRejected(problems)
    with write(session, actor, "transaction.import", now=now) as unit:
        session.add_all(parsed)
        session.flush()
        created = [t.id for t in parsed]
        unit.audit(
            "transaction",
            "import",
            before=None,
            after={"file": filename, "rows": len(parsed), "created_ids": created},
        )
    return ImportReport(rows=len(parsed), created_ids=created)
