"""Audited exports of customers and work orders (PII masked for analysts)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.services.base import Actor, require, write
from touchpoint.services.customers import customer_view
from touchpoint.services.work_orders import visible_orders
from touchpoint.storage.models import Customer, WorkOrder

__all__ = ["export_customers", "export_work_orders"]


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def export_customers(session: Session, actor: Actor, *, now: datetime) -> str:
    """All live customers as CSV; the export itself is audited (who, when, how many)."""
    require(actor, actor.role.can_read_reports, "export customers")
    with write(session, actor, "export.customers", now=now) as unit:
        rows: list[list[object]] = []
        for c in session.scalars(
            select(Customer).where(Customer.merged_into_id.is_(None)).order_by(Customer.id)
        ):
            view = customer_view(c, actor)
            idents = {
                k: "; ".join(i.value for i in view.identities if i.kind.value == k)
                for k in ("phone", "email", "account", "social")
            }
            rows.append(
                [
                    c.id,
                    c.name,
                    c.kind,
                    c.customer_class,
                    c.organisation,
                    idents["phone"],
                    idents["email"],
                    idents["account"],
                    idents["social"],
                ]
            )
        unit.audit(
            "export",
            "customers",
            before=None,
            after={"rows": len(rows), "masked": not actor.role.sees_contact_details},
        )
    return _csv(
        [
            "id",
            "name",
            "kind",
            "customer_class",
            "organisation",
            "phone",
            "email",
            "account",
            "social",
        ],
        rows,
    )


def export_work_orders(session: Session, actor: Actor, *, now: datetime) -> str:
    """Visible work orders as CSV, audited."""
    require(actor, actor.role.can_read_reports, "export work orders")
    cols = [
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
    with write(session, actor, "export.work_orders", now=now) as unit:
        rows: list[list[object]] = []
        for o in session.scalars(visible_orders(actor).order_by(WorkOrder.id)):
            rows.append(
                [
                    getattr(o, c).isoformat()
                    if isinstance(getattr(o, c), datetime)
                    else getattr(o, c)
                    for c in cols
                ]
            )
        unit.audit("export", "work_orders", before=None, after={"rows": len(rows)})
    return _csv(cols, rows)
