"""Customer use cases: records, identities, contact card, transaction card, customer 360."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchpoint.domain.contacts import Channel, ContactDirection, ContactOutcome, TransactionKind
from touchpoint.domain.customers import (
    CustomerClass,
    CustomerKind,
    Identity,
    IdentityKind,
    validate_preferences,
)
from touchpoint.domain.errors import DomainError, RuleViolation, unknown_reference
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.base import (
    Actor,
    AfterCommit,
    check_version,
    get_or_404,
    require,
    snapshot,
    write,
)
from touchpoint.services.customer_search import search_customers
from touchpoint.services.customer_view import CustomerView, IdentityView, customer_view
from touchpoint.services.errors import NotFoundError
from touchpoint.services.order_write import load_order, refresh_order
from touchpoint.services.survey_card import SurveyCardEntry, survey_card
from touchpoint.services.work_orders import (
    WorkOrderDetail,
    add_event,
    list_work_orders,
)
from touchpoint.storage.blocking import refresh_blocking_keys
from touchpoint.storage.models import (
    Contact,
    Customer,
    CustomerIdentity,
    Incident,
    Transaction,
)

__all__ = [
    "ContactDraft",
    "Customer360",
    "CustomerChanges",
    "CustomerDraft",
    "CustomerView",
    "IdentityView",
    "TransactionDraft",
    "add_identity",
    "add_transaction",
    "create_customer",
    "customer_360",
    "customer_view",
    "get_customer",
    "list_contacts",
    "list_transactions",
    "log_contact",
    "remove_identity",
    "search_customers",
    "update_customer",
]


@dataclass(frozen=True, slots=True)
class CustomerDraft:
    """Fields of a new customer."""

    name: str
    kind: CustomerKind = CustomerKind.PERSON
    customer_class: CustomerClass = CustomerClass.NORMAL
    organisation: str = ""
    preferences: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    identities: tuple[tuple[IdentityKind, str], ...] = ()
    #: False: refuse a phone that already belongs to another customer (the call screen,
    #: where the caller is usually someone the desk knows), naming who has it. Shared
    #: numbers exist (a family, a company's switchboard), so the API allows them.
    shared_phone: bool = True


@dataclass(frozen=True, slots=True)
class CustomerChanges:
    """Editable customer fields; None leaves a field unchanged."""

    name: str | None = None
    kind: CustomerKind | None = None
    customer_class: CustomerClass | None = None
    organisation: str | None = None
    preferences: dict[str, Any] | None = None
    notes: str | None = None
    hostage: bool | None = None


def _check_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > 200:
        raise DomainError(
            f"name: {name!r} must be 1–200 characters",
            code="name_length",
            params={"field": "name", "max": 200},
        )
    return clean


def create_customer(
    session: Session,
    actor: Actor,
    draft: CustomerDraft,
    *,
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> CustomerView:
    """Create a customer with its identities."""
    require(actor, actor.role.can_handle_orders, "create customers")
    name = _check_name(draft.name)
    prefs = validate_preferences(draft.preferences)
    idents = [Identity.of(k, v) for k, v in draft.identities]
    if not draft.shared_phone:
        _refuse_known_phones(session, idents)
    with write(session, actor, "customer.create", now=now, after_commit=after_commit) as unit:
        c = Customer(
            kind=draft.kind.value,
            customer_class=draft.customer_class.value,
            name=name,
            organisation=draft.organisation,
            preferences=prefs,
            notes=draft.notes,
            hostage=False,
            created_at=now,
            updated_at=now,
        )
        session.add(c)
        session.flush()
        for ident in idents:
            session.add(
                CustomerIdentity(
                    customer_id=c.id,
                    kind=ident.kind.value,
                    value=ident.value,
                    normalised=ident.normalised,
                )
            )
        session.flush()
        session.refresh(c, ["identities"])
        refresh_blocking_keys(session, [c.id])  # merge candidates see it at once
        unit.audit("customer", c.id, before=None, after=_customer_json(c))
        unit.notify("customer.created", {"customer_id": c.id})
    return customer_view(c, actor)


def _refuse_known_phones(session: Session, idents: list[Identity]) -> None:
    """Refuse the first phone that a customer (not merged away) already has, naming up to
    three of them (code ``phone_in_use``)."""
    for ident in idents:
        if ident.kind is not IdentityKind.PHONE:
            continue
        known = session.execute(
            select(Customer.id, Customer.name)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
            .where(
                CustomerIdentity.kind == ident.kind.value,
                CustomerIdentity.normalised == ident.normalised,
                Customer.merged_into_id.is_(None),
            )
            .order_by(Customer.id)
            .limit(3)
        ).all()
        if known:
            names = ", ".join(f"{name} (#{cid})" for cid, name in known)
            raise RuleViolation(
                f"phone {ident.value!r} already belongs to {names}",
                code="phone_in_use",
                params={"value": ident.value, "customers": names},
            )


def _customer_json(c: Customer) -> dict[str, Any]:
    return {
        **snapshot(c),
        "identities": [{"kind": i.kind, "value": i.value} for i in c.identities],
    }


def get_customer(session: Session, actor: Actor, customer_id: int) -> CustomerView:
    """One customer as the actor may see it."""
    c = session.get(Customer, customer_id)
    if c is None:
        raise NotFoundError("customer", customer_id)
    return customer_view(c, actor)


def update_customer(
    session: Session,
    actor: Actor,
    customer_id: int,
    changes: CustomerChanges,
    *,
    version: int,
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> CustomerView:
    """Edit a customer; a stale ``version`` raises ``ConflictError``."""
    require(actor, actor.role.can_handle_orders, "edit customers")
    with write(session, actor, "customer.update", now=now, after_commit=after_commit) as unit:
        c = get_or_404(session, Customer, customer_id)
        check_version("customer", c.id, c.version, version)
        before = _customer_json(c)
        renamed = False
        if changes.name is not None:
            name = _check_name(changes.name)
            renamed, c.name = name != c.name, name
        if changes.kind is not None:
            c.kind = changes.kind.value
        if changes.customer_class is not None:
            c.customer_class = changes.customer_class.value
        if changes.organisation is not None:
            c.organisation = changes.organisation
        if changes.preferences is not None:
            c.preferences = validate_preferences(changes.preferences)
        if changes.notes is not None:
            c.notes = changes.notes
        if changes.hostage is not None:
            c.hostage = changes.hostage
        c.updated_at = now
        session.flush()
        if renamed:  # name keys follow the name
            refresh_blocking_keys(session, [c.id])
        unit.audit("customer", c.id, before=before, after=_customer_json(c))
    return customer_view(c, actor)


def add_identity(
    session: Session,
    actor: Actor,
    customer_id: int,
    kind: IdentityKind,
    value: str,
    *,
    now: datetime,
) -> CustomerView:
    """Add a phone, e-mail, account number or social id to a customer."""
    require(actor, actor.role.can_handle_orders, "edit customers")
    ident = Identity.of(kind, value)
    with write(session, actor, "customer.identity.add", now=now) as unit:
        c = get_or_404(session, Customer, customer_id)
        for existing in c.identities:
            if existing.kind == ident.kind.value and existing.normalised == ident.normalised:
                raise DomainError(
                    f"value: {value!r} is already an identity of customer {c.id}",
                    code="identity_exists",
                    params={"value": value, "id": c.id},
                )
        row = CustomerIdentity(
            customer_id=c.id, kind=ident.kind.value, value=ident.value, normalised=ident.normalised
        )
        session.add(row)
        c.updated_at = now
        session.flush()
        session.refresh(c, ["identities"])
        refresh_blocking_keys(session, [c.id])
        unit.audit("customer_identity", row.id, before=None, after=snapshot(row))
    return customer_view(c, actor)


def remove_identity(
    session: Session, actor: Actor, customer_id: int, identity_id: int, *, now: datetime
) -> CustomerView:
    """Remove one identity of a customer."""
    require(actor, actor.role.can_handle_orders, "edit customers")
    with write(session, actor, "customer.identity.remove", now=now) as unit:
        c = get_or_404(session, Customer, customer_id)
        row = session.get(CustomerIdentity, identity_id)
        if row is None or row.customer_id != c.id:
            raise NotFoundError("customer_identity", identity_id)
        before = snapshot(row)
        session.delete(row)
        c.updated_at = now
        session.flush()
        session.refresh(c, ["identities"])
        refresh_blocking_keys(session, [c.id])
        unit.audit("customer_identity", identity_id, before=before, after=None)
    return customer_view(c, actor)


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """A contact to put on the contact card; linking an order adds it to the timeline."""

    customer_id: int
    channel: Channel
    direction: ContactDirection = ContactDirection.INBOUND
    touchpoint: str = ""
    outcome: ContactOutcome = ContactOutcome.ANSWERED
    summary: str = ""
    hostile: bool = False
    work_order_id: int | None = None
    incident_id: int | None = None
    at: datetime | None = None


def log_contact(
    session: Session,
    actor: Actor,
    draft: ContactDraft,
    *,
    now: datetime,
    after_commit: AfterCommit | None = None,
) -> Contact:
    """Record a contact on the customer's contact card.

    With a work order, an inbound contact is a ``customer_message`` and an outbound
    one an ``agent_reply`` on the order's timeline. ``hostile`` flags the contact for
    emotional-labour tracking (DOMAIN §5).
    """
    require(actor, actor.role.can_handle_orders, "log contacts")
    at = draft.at or now
    if at.tzinfo is None:
        raise DomainError(f"at: {at.isoformat()!r} must carry a time zone")
    if at > now:
        raise DomainError(f"at: {at.isoformat()} is in the future")
    with write(session, actor, "contact.log", now=now, after_commit=after_commit) as unit:
        c = get_or_404(session, Customer, draft.customer_id)
        if c.merged_into_id is not None:
            raise DomainError(
                f"customer_id: customer {c.id} was merged into {c.merged_into_id}",
                code="customer_merged",
                params={"id": c.id, "into": c.merged_into_id},
            )
        if draft.incident_id is not None:
            inc = session.get(Incident, draft.incident_id)
            if inc is None:
                raise unknown_reference("incident_id", "incident", draft.incident_id)
        contact = Contact(
            customer_id=c.id,
            channel=draft.channel.value,
            direction=draft.direction.value,
            touchpoint=draft.touchpoint,
            agent_id=actor.user_id,
            outcome=draft.outcome.value,
            summary=draft.summary,
            hostile=draft.hostile,
            work_order_id=draft.work_order_id,
            incident_id=draft.incident_id,
            at=at,
        )
        if draft.work_order_id is not None:
            loaded = load_order(session, actor, draft.work_order_id)
            order = loaded.order
            if order.customer_id != c.id:
                raise DomainError(
                    f"work_order_id: order {order.id} belongs to customer {order.customer_id}"
                )
            kind = "customer_message" if draft.direction.is_inbound else "agent_reply"
            add_event(
                session,
                order,
                kind,
                at=at,
                actor_id=actor.user_id,
                body=draft.summary,
                channel=draft.channel.value,
                timeline=loaded.timeline,
            )
            if draft.hostile:
                order.hostile = True
            refresh_order(unit, loaded)
        session.add(contact)
        session.flush()
        unit.audit("contact", contact.id, before=None, after=snapshot(contact))
        unit.notify("contact.logged", {"contact": snapshot(contact)})
    return contact


def list_contacts(
    session: Session, customer_id: int, *, limit: int = 200, offset: int = 0
) -> list[Contact]:
    """The contact card, newest first."""
    get_or_404(session, Customer, customer_id)
    return list(
        session.scalars(
            select(Contact)
            .where(Contact.customer_id == customer_id)
            .order_by(Contact.at.desc(), Contact.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


@dataclass(frozen=True, slots=True)
class TransactionDraft:
    """An entry of the transaction card; ``amount_minor`` in fen/cents."""

    customer_id: int
    kind: TransactionKind
    at: datetime
    amount_minor: int = 0
    currency: str = "CNY"
    reference: str = ""
    description: str = ""


def _check_currency(code: str) -> str:
    if len(code) != 3 or not code.isalpha():
        raise DomainError(f"currency: {code!r} is not a three-letter code")
    return code.upper()


def add_transaction(
    session: Session, actor: Actor, draft: TransactionDraft, *, now: datetime
) -> Transaction:
    """Put one transaction on the customer's transaction card."""
    require(actor, actor.role.can_handle_orders, "record transactions")
    if draft.at.tzinfo is None:
        raise DomainError(f"at: {draft.at.isoformat()!r} must carry a time zone")
    currency = _check_currency(draft.currency)
    with write(session, actor, "transaction.add", now=now) as unit:
        get_or_404(session, Customer, draft.customer_id)
        tx = Transaction(
            customer_id=draft.customer_id,
            kind=draft.kind.value,
            reference=draft.reference,
            amount_minor=draft.amount_minor,
            currency=currency,
            description=draft.description,
            at=draft.at,
        )
        session.add(tx)
        session.flush()
        unit.audit("transaction", tx.id, before=None, after=snapshot(tx))
    return tx


def list_transactions(
    session: Session, customer_id: int, *, limit: int = 200, offset: int = 0
) -> list[Transaction]:
    """The transaction card, newest first."""
    get_or_404(session, Customer, customer_id)
    return list(
        session.scalars(
            select(Transaction)
            .where(Transaction.customer_id == customer_id)
            .order_by(Transaction.at.desc(), Transaction.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


@dataclass(frozen=True, slots=True)
class Customer360:
    """Everything the agent sees on the customer view."""

    customer: CustomerView
    preferences: dict[str, Any]
    contacts: list[Contact]
    transactions: list[Transaction]
    open_orders: list[WorkOrderDetail]
    recent_orders: list[WorkOrderDetail]
    hostile_contacts: int
    surveys: list[SurveyCardEntry] = field(default_factory=list)


def customer_360(session: Session, actor: Actor, customer_id: int, *, now: datetime) -> Customer360:
    """Customer 360: identities, guest history, contact, transaction and survey cards,
    orders."""
    view = get_customer(session, actor, customer_id)
    contacts = list_contacts(session, customer_id, limit=50)
    orders = list_work_orders(session, actor, now=now, customer_id=customer_id, limit=50)
    open_orders = [d for d in orders if WorkOrderStatus(d.order.status).is_open]
    hostile = session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.customer_id == customer_id, Contact.hostile.is_(True))
    )
    return Customer360(
        customer=view,
        preferences=dict(view.customer.preferences),
        contacts=contacts,
        transactions=list_transactions(session, customer_id, limit=50),
        open_orders=open_orders,
        recent_orders=orders,
        hostile_contacts=int(hostile or 0),
        surveys=survey_card(session, customer_id),
    )
