"""Exports read a batch of rows at a time and write them out as they come: the same CSV
as reading everything at once, across batch boundaries, masked for analysts."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.services.support import customer, order, people
from tests.storage.support import T0, Database
from touchpoint.services import exports
from touchpoint.services.customers import customer_view
from touchpoint.services.exports import export_customers, export_work_orders
from touchpoint.storage.models import Customer, WorkOrder


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_exports_in_small_batches_hold_every_row(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "BATCH_ROWS", 2)
    with db.factory() as s:
        sup, agent, analyst = people(db, s)
        ids = [customer(db, s, agent, email=f"{db.unique('x')}@example.com") for _ in range(5)]
        for cid in ids[:3]:
            order(s, agent, cid)
        header, *rows = _rows(export_customers(s, analyst, now=T0))
        assert header[:2] == ["id", "name"]
        expected = []
        for c in s.scalars(select(Customer).where(Customer.merged_into_id.is_(None))):
            view = customer_view(c, analyst)
            email = "; ".join(i.value for i in view.identities if i.kind.value == "email")
            expected.append([str(c.id), c.name, email])
        assert [[r[0], r[1], r[6]] for r in rows] == sorted(expected, key=lambda r: int(r[0]))
        assert all("***@example.com" in r[6] for r in rows if int(r[0]) in ids)

        header, *rows = _rows(export_work_orders(s, sup, now=T0))
        assert header == exports._ORDER_COLUMNS
        orders = list(s.scalars(select(WorkOrder).order_by(WorkOrder.id)))
        assert [int(r[0]) for r in rows] == [o.id for o in orders]
        last = orders[-1]
        assert rows[-1][12] == last.created_at.isoformat()
        assert rows[-1][13] == ""  # not resolved: an empty cell, as before
        assert rows[-1][16] == str(last.sla_breached)
