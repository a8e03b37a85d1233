"""Audited exports of customers and work orders (PII masked for analysts)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.customers import IdentityKind
from touchpoint.services.base import Actor, require, write
from touchpoint.services.customer_view import customer_view
from touchpoint.services.work_orders import visible_orders
from touchpoint.storage.models import Customer, WorkOrder

__all__ = ["BATCH_ROWS", "export_customers", "export_work_orders", "record_table_download"]


#: Rows read from the database at a time: an export holds one batch of rows (and the CSV
#: text written so far), never the whole table as objects. On PostgreSQL the rows come
#: through a server-side cursor.
BATCH_ROWS = 1000

#: A customer's own columns, then one column per identity kind (its values joined by
#: "; "), in :class:`IdentityKind` order, as the customer import reads them.
_CUSTOMER_FIELDS = ["id", "name", "kind", "customer_class", "organisation"]
_CUSTOMER_COLUMNS = [*_CUSTOMER_FIELDS, *(k.value for k in IdentityKind)]
_ORDER_COLUMNS = [
    "id",
    "customer_id",
    "type",
    "channel",
    "priority",
    "tier",
    "status",
    "subject",
    "owner_id",
    "assignee_id",
    "team_id",
    "incident_id",
    "created_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "sla_breached",
]


def _writer(header: list[str]) -> tuple[io.StringIO, Any]:
    """A CSV text buffer and its writer, the header written."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    return buf, writer


def export_customers(session: Session, actor: Actor, *, now: datetime) -> str:
    """All live customers as CSV; the export itself is audited (who, when, how many).

    Read :data:`BATCH_ROWS` customers at a time (their identities with each batch) and
    written out as they come."""
    require(actor, actor.role.can_read_reports, "export customers")
    buf, out = _writer(_CUSTOMER_COLUMNS)
    with write(session, actor, "export.customers", now=now) as unit:
        live = (
            select(Customer)
            .where(Customer.merged_into_id.is_(None))
            .order_by(Customer.id)
            .execution_options(yield_per=BATCH_ROWS)
        )
        count = 0
        for c in session.scalars(live):
            view = customer_view(c, actor)
            out.writerow(
                [
                    *(getattr(c, f) for f in _CUSTOMER_FIELDS),
                    *(
                        "; ".join(i.value for i in view.identities if i.kind == k)
                        for k in IdentityKind
                    ),
                ]
            )
            count += 1
        unit.audit(
            "export",
            "customers",
            before=None,
            after={"rows": count, "masked": not actor.role.sees_contact_details},
        )
    return buf.getvalue()


def export_work_orders(session: Session, actor: Actor, *, now: datetime) -> str:
    """Visible work orders as CSV, audited: their columns only (no order objects),
    :data:`BATCH_ROWS` at a time, written out as they come."""
    require(actor, actor.role.can_read_reports, "export work orders")
    buf, out = _writer(_ORDER_COLUMNS)
    columns = [getattr(WorkOrder, c) for c in _ORDER_COLUMNS]
    with write(session, actor, "export.work_orders", now=now) as unit:
        visible = (
            visible_orders(actor)
            .with_only_columns(*columns)
            .order_by(WorkOrder.id)
            .execution_options(yield_per=BATCH_ROWS)
        )
        count = 0
        for row in session.execute(visible):
            out.writerow([v.isoformat() if isinstance(v, datetime) else v for v in row])
            count += 1
        unit.audit("export", "work_orders", before=None, after={"rows": count})
    return buf.getvalue()


def record_table_download(
    session: Session, actor: Actor, name: str, fmt: str, rows: int, *, now: datetime
) -> None:
    """Audit a page's table downloaded as a file (``name``: the file's name): figures
    are aggregates, but every export is audited, as the record exports are."""
    session.rollback()  # the page's reads; the audit is a write of its own
    with write(session, actor, "export.table", now=now) as unit:
        unit.audit("export", name, before=None, after={"format": fmt, "rows": rows})
