"""Mass incidents: open with an announcement, link contacts and orders, resolve together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.errors import DomainError, RuleViolation, empty_field, unknown_reference
from touchpoint.domain.incidents import IncidentStatus, validate_announcement
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.base import (
    Actor,
    AfterCommit,
    WriteUnit,
    check_version,
    get_or_404,
    require,
    snapshot,
    write,
)
from touchpoint.services.sla_clock import refresh_sla_cache, sla_reports
from touchpoint.services.work_orders import add_event, apply_transition
from touchpoint.storage.models import Contact, CustomerIdentity, Incident, WorkOrder
from touchpoint.storage.order_store import save_order

__all__ = [
    "MAX_LIST",
    "IncidentView",
    "get_incident",
    "link_to_incident",
    "list_incidents",
    "open_incident",
    "resolve_incident",
]


@dataclass(frozen=True, slots=True)
class IncidentView:
    """An incident with the counts of what it links."""

    incident: Incident
    orders: int
    contacts: int


def _view(session: Session, inc: Incident) -> IncidentView:
    n_orders = session.scalar(
        select(func.count()).select_from(WorkOrder).where(WorkOrder.incident_id == inc.id)
    )
    n_contacts = session.scalar(
        select(func.count()).select_from(Contact).where(Contact.incident_id == inc.id)
    )
    return IncidentView(inc, int(n_orders or 0), int(n_contacts or 0))


def open_incident(
    session: Session,
    actor: Actor,
    *,
    title: str,
    announcement: str,
    area: str = "",
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> IncidentView:
    """Open a mass incident with the announcement (自动播报) the hotline plays."""
    require(actor, actor.role.can_supervise, "open incidents")
    if actor.user_id is None:
        raise DomainError("opened_by: an incident is opened by a user")
    if not title.strip():
        raise empty_field("title")
    text = validate_announcement(announcement)
    with write(session, actor, "incident.open", now=now, after_commit=after_commit) as unit:
        inc = Incident(
            title=title.strip(),
            area=area,
            announcement=text,
            status=IncidentStatus.OPEN.value,
            opened_by_id=actor.user_id,
            opened_at=now,
        )
        session.add(inc)
        session.flush()
        unit.audit("incident", inc.id, before=None, after=snapshot(inc))
        unit.notify("incident.opened", {"incident": snapshot(inc)})
    return _view(session, inc)


def link_to_incident(
    session: Session,
    actor: Actor,
    incident_id: int,
    *,
    work_order_ids: list[int],
    contact_ids: list[int],
    now: datetime,
) -> IncidentView:
    """Link orders and contacts to an open incident."""
    require(actor, actor.role.can_handle_orders, "link to incidents")
    with write(session, actor, "incident.link", now=now) as unit:
        inc = get_or_404(session, Incident, incident_id)
        if not IncidentStatus(inc.status).accepts_links:
            raise RuleViolation(
                f"incident {inc.id} is {inc.status}; it takes no new links",
                code="incident_resolved",
                params={"id": inc.id},
            )
        for oid in sorted(set(work_order_ids)):
            order = session.get(WorkOrder, oid)
            if order is None:
                raise unknown_reference("work_order_ids", "work_order", oid, "order")
            order.incident_id = inc.id
            order.updated_at = now
            save_order(session, order)
        for cid in sorted(set(contact_ids)):
            contact = session.get(Contact, cid)
            if contact is None:
                raise unknown_reference("contact_ids", "contact", cid)
            contact.incident_id = inc.id
        session.flush()
        unit.audit(
            "incident",
            inc.id,
            before=None,
            after={
                "work_order_ids": sorted(set(work_order_ids)),
                "contact_ids": sorted(set(contact_ids)),
            },
        )
    return _view(session, inc)


def resolve_incident(
    session: Session,
    actor: Actor,
    incident_id: int,
    *,
    note: str,
    version: int | None = None,
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> IncidentView:
    """Resolve the incident and every open linked order, and notify each customer.

    Each resolved order gets an ``agent_reply`` (the notice the customer receives)
    followed by its ``resolved`` status event; customers with an e-mail identity are
    mailed after commit.
    """
    require(actor, actor.role.can_supervise, "resolve incidents")
    if not note.strip():
        raise DomainError(
            "note: the resolution notice must not be empty",
            code="field_empty",
            params={"field": "note"},
        )
    with write(session, actor, "incident.resolve", now=now, after_commit=after_commit) as unit:
        inc = get_or_404(session, Incident, incident_id)
        check_version("incident", inc.id, inc.version, version)
        if inc.status == IncidentStatus.RESOLVED.value:
            raise RuleViolation(
                f"incident {inc.id} is already resolved",
                code="incident_resolved",
                params={"id": inc.id},
            )
        before = snapshot(inc)
        inc.status = IncidentStatus.RESOLVED.value
        inc.resolved_at = now
        inc.resolution_note = note.strip()
        resolved, customers = _resolve_linked_orders(session, actor, inc, note.strip(), now)
        notified = _mail_customers(unit, inc, customers, note.strip())
        unit.audit(
            "incident",
            inc.id,
            before=before,
            after={
                **snapshot(inc),
                "resolved_work_orders": resolved,
                "customers_notified": sorted(notified),
            },
        )
        unit.notify(
            "incident.resolved", {"incident": snapshot(inc), "resolved_work_orders": resolved}
        )
    return _view(session, inc)


def _resolve_linked_orders(
    session: Session, actor: Actor, inc: Incident, note: str, now: datetime
) -> tuple[list[int], set[int]]:
    """Resolve the incident's open orders, each with the notice as an ``agent_reply``
    before its ``resolved`` event, and refresh every linked order's SLA cache. The
    orders resolved, and the customers of every linked order and contact."""
    orders = list(
        session.scalars(
            select(WorkOrder).where(WorkOrder.incident_id == inc.id).order_by(WorkOrder.id)
        )
    )
    resolved: list[int] = []
    customers: set[int] = set()
    for order in orders:
        customers.add(order.customer_id)
        if not WorkOrderStatus(order.status).is_open:
            continue
        add_event(
            session,
            order,
            "agent_reply",
            at=now,
            actor_id=actor.user_id,
            body=note,
            tag="incident_notice",
        )
        apply_transition(
            session,
            actor,
            order,
            WorkOrderStatus.RESOLVED,
            now,
            f"resolved with incident #{inc.id}",
        )
        order.updated_at = now
        save_order(session, order)
        resolved.append(order.id)
    customers.update(
        session.scalars(select(Contact.customer_id).where(Contact.incident_id == inc.id)).all()
    )
    session.flush()
    reports = sla_reports(session, orders, now=now)
    for order in orders:
        refresh_sla_cache(order, reports[order.id])
        save_order(session, order)
    return resolved, customers


def _mail_customers(unit: WriteUnit, inc: Incident, customers: set[int], note: str) -> set[int]:
    """E-mail each customer with an e-mail identity (one mail each, after commit); the
    customers mailed."""
    emails = unit.session.execute(
        select(CustomerIdentity.customer_id, CustomerIdentity.value).where(
            CustomerIdentity.customer_id.in_(sorted(customers)),
            CustomerIdentity.kind == IdentityKind.EMAIL.value,
        )
    ).all()
    notified: set[int] = set()
    for cid, address in emails:
        if cid in notified:
            continue
        notified.add(cid)
        unit.email(address, f"[{inc.title}] resolved", f"{inc.announcement}\n\n{note}")
    return notified


def get_incident(session: Session, incident_id: int) -> IncidentView:
    """One incident with its link counts."""
    return _view(session, get_or_404(session, Incident, incident_id))


#: The most incidents one list answers (``limit``): each comes with its link counts.
MAX_LIST = 1000


def list_incidents(
    session: Session, *, open_only: bool = False, limit: int = 200, offset: int = 0
) -> list[IncidentView]:
    """Incidents, newest first: ``limit`` of them (1 to :data:`MAX_LIST`) after skipping
    ``offset``, with their link counts read for the whole page in two queries."""
    if not 1 <= limit <= MAX_LIST:
        raise DomainError(f"limit: {limit} must lie between 1 and {MAX_LIST}")
    if offset < 0:
        raise DomainError(f"offset: {offset} must not be negative")
    stmt = select(Incident)
    if open_only:
        stmt = stmt.where(Incident.status == IncidentStatus.OPEN.value)
    page = list(session.scalars(stmt.order_by(Incident.id.desc()).limit(limit).offset(offset)))
    if not page:
        return []
    ids = [i.id for i in page]
    orders = _link_counts(session, WorkOrder.incident_id, ids)
    contacts = _link_counts(session, Contact.incident_id, ids)
    return [IncidentView(i, orders.get(i.id, 0), contacts.get(i.id, 0)) for i in page]


def _link_counts(
    session: Session, column: InstrumentedAttribute[int | None], ids: list[int]
) -> dict[int, int]:
    """How many rows link each of the incidents ``ids`` through ``column`` (one grouped
    query on its index; incidents without a link are absent)."""
    rows = session.execute(select(column, func.count()).where(column.in_(ids)).group_by(column))
    return {iid: int(n) for iid, n in rows if iid is not None}
