"""A transactions import reads only the customers its rows name (by id and through the
identity index), never the whole customer table, and answers as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from tests.services.support import people
from tests.storage.support import T0, Database
from touchpoint.domain.customers import IdentityKind
from touchpoint.services.customers import CustomerDraft, create_customer
from touchpoint.services.errors import ImportRejected
from touchpoint.services.imports import import_transactions
from touchpoint.services.merge import merge_customers
from touchpoint.storage.models import Transaction


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL the engine runs meanwhile."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_rows_name_customers_by_id_account_and_phone(db: Database, statements: list[str]) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        account, phone = db.unique("ACC-"), f"1390000{db.counter[0]:04d}"

        def new(*idents: tuple[IdentityKind, str]) -> int:
            draft = CustomerDraft(name=db.unique("Importee "), identities=idents)
            return create_customer(s, agent, draft, now=T0).customer.id

        a = new((IdentityKind.ACCOUNT, account))
        b = new((IdentityKind.PHONE, phone))
        gone = new()
        merge_customers(s, sup, a, gone, now=T0)
        statements.clear()
        bad = (
            "customer_id,account,phone,kind,at,amount\n"
            f"{gone},,,bill,2026-11-01T00:00:00Z,1\n"  # merged away
            "99999999999999999999999,,,bill,2026-11-01T00:00:00Z,1\n"  # beyond any id
            "²,,,bill,2026-11-01T00:00:00Z,1\n"  # a digit int() does not read
            ",NO-SUCH,,bill,2026-11-01T00:00:00Z,1\n"
        )
        with pytest.raises(ImportRejected) as err:
            import_transactions(s, sup, bad.encode(), "tx.csv", now=T0)
        assert [(p["row"], p["column"], p["message"]) for p in err.value.problems] == [
            (2, "customer_id", "no such customer"),
            (3, "customer_id", "no such customer"),
            (4, "customer_id", "no such customer"),
            (5, "account", "no customer has this identity"),
        ]
        good = (
            "customer_id,account,phone,kind,at,amount\n"
            f"{a},,,bill,2026-11-01T00:00:00Z,1\n"
            f",{account.lower()},,payment,2026-11-02T00:00:00Z,2\n"
            f",,+86 {phone},refund,2026-11-03T00:00:00Z,3\n"
        )
        report = import_transactions(s, sup, good.encode(), "tx.csv", now=T0)
        owners = [s.get(Transaction, i).customer_id for i in report.created_ids]  # type: ignore[union-attr]
        assert owners == [a, a, b]
    reads = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    customer_reads = [q for q in reads if "customers" in q]
    assert customer_reads
    # Every read of customers or identities names its rows (by id or by value).
    assert all(" IN " in q.upper() for q in customer_reads), customer_reads
