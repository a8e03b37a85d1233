"""Customers, identities, contacts, transactions, customer 360, merge and imports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Query, Request, UploadFile

from touchpoint.api.convert import customer_360_public, customer_public, transaction_public
from touchpoint.api.deps import (
    CsvEncoding,
    IdPath,
    ReaderDesk,
    SupervisorDesk,
    WorkerDesk,
    read_upload,
)
from touchpoint.api.errors import ERROR_RESPONSES
from touchpoint.api.schemas import (
    ContactCreate,
    ContactPublic,
    Customer360Public,
    CustomerCreate,
    CustomerPublic,
    CustomerUpdate,
    IdentityCreate,
    ImportPublic,
    MergeCandidatePublic,
    MergeCreate,
    MergePublic,
    TransactionCreate,
    TransactionPublic,
)
from touchpoint.api.schemas.customers import HostageClearCreate
from touchpoint.services import customers as svc
from touchpoint.services import hostage, imports, merge, merge_refresh

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["customers"], responses=ERROR_RESPONSES)


@router.post("/customers", response_model=CustomerPublic, status_code=201)
def create_customer(body: CustomerCreate, d: WorkerDesk) -> CustomerPublic:
    """Create a customer with identities and guest history."""
    draft = svc.CustomerDraft(
        name=body.name,
        kind=body.kind,
        customer_class=body.customer_class,
        organisation=body.organisation,
        preferences=dict(body.preferences),
        notes=body.notes,
        identities=tuple((i.kind, i.value) for i in body.identities),
    )
    return customer_public(
        svc.create_customer(d.session, d.actor, draft, now=d.now, after_commit=d.after_commit)
    )


@router.get("/customers", response_model=list[CustomerPublic])
def search_customers(
    d: ReaderDesk,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CustomerPublic]:
    """Search by name, phone, e-mail, account or social id, best match first (whole
    value, then start, then fragment; then by id). An identity is found by any fragment
    of 4 or more characters (a phone number typed with or without spaces, dashes or
    +86), a shorter text only as a whole value; a name by part of it: 1 character finds
    names starting with it, 2 names starting or ending with them, 3 or more anywhere.
    Blank ``q`` lists every customer by id."""
    views = svc.search_customers(d.session, d.actor, q=q, limit=limit, offset=offset)
    return [customer_public(v) for v in views]


@router.get("/customers/{customer_id}", response_model=CustomerPublic)
def get_customer(customer_id: IdPath, d: ReaderDesk) -> CustomerPublic:
    """One customer."""
    return customer_public(svc.get_customer(d.session, d.actor, customer_id))


@router.patch("/customers/{customer_id}", response_model=CustomerPublic)
def update_customer(customer_id: IdPath, body: CustomerUpdate, d: WorkerDesk) -> CustomerPublic:
    """Edit a customer (409 on a stale version)."""
    changes = svc.CustomerChanges(
        name=body.name,
        kind=body.kind,
        customer_class=body.customer_class,
        organisation=body.organisation,
        preferences=dict(body.preferences) if body.preferences is not None else None,
        notes=body.notes,
        hostage=body.hostage,
    )
    view = svc.update_customer(
        d.session, d.actor, customer_id, changes, version=body.version, now=d.now
    )
    return customer_public(view)


@router.post("/customers/{customer_id}/hostage/clear", response_model=CustomerPublic)
def clear_hostage(
    customer_id: IdPath, body: HostageClearCreate, d: SupervisorDesk
) -> CustomerPublic:
    """Clear the hostage flag the rule set, with a note (audited); a later survey answer
    lets the rule judge the customer again."""
    hostage.clear_hostage(d.session, d.actor, customer_id, note=body.note, now=d.now)
    return customer_public(svc.get_customer(d.session, d.actor, customer_id))


@router.get("/customers/{customer_id}/360", response_model=Customer360Public)
def customer_360(customer_id: IdPath, d: ReaderDesk) -> Customer360Public:
    """Customer 360: identities, guest history, contact and transaction cards, orders."""
    return customer_360_public(svc.customer_360(d.session, d.actor, customer_id, now=d.now))


@router.post("/customers/{customer_id}/identities", response_model=CustomerPublic, status_code=201)
def add_identity(customer_id: IdPath, body: IdentityCreate, d: WorkerDesk) -> CustomerPublic:
    """Add an identity."""
    view = svc.add_identity(d.session, d.actor, customer_id, body.kind, body.value, now=d.now)
    return customer_public(view)


@router.delete("/customers/{customer_id}/identities/{identity_id}", response_model=CustomerPublic)
def remove_identity(customer_id: IdPath, identity_id: IdPath, d: WorkerDesk) -> CustomerPublic:
    """Remove an identity."""
    return customer_public(
        svc.remove_identity(d.session, d.actor, customer_id, identity_id, now=d.now)
    )


@router.get("/customers/{customer_id}/contacts", response_model=list[ContactPublic])
def list_contacts(
    customer_id: IdPath,
    d: ReaderDesk,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ContactPublic]:
    """The contact card."""
    rows = svc.list_contacts(d.session, customer_id, limit=limit, offset=offset)
    return [ContactPublic.model_validate(c) for c in rows]


@router.get("/customers/{customer_id}/transactions", response_model=list[TransactionPublic])
def list_transactions(
    customer_id: IdPath,
    d: ReaderDesk,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[TransactionPublic]:
    """The transaction card."""
    rows = svc.list_transactions(d.session, customer_id, limit=limit, offset=offset)
    return [transaction_public(t) for t in rows]


@router.post("/contacts", response_model=ContactPublic, status_code=201)
def log_contact(body: ContactCreate, d: WorkerDesk) -> ContactPublic:
    """Log a contact; with ``work_order_id`` it joins the order's timeline."""
    draft = svc.ContactDraft(**body.model_dump())
    contact = svc.log_contact(d.session, d.actor, draft, now=d.now, after_commit=d.after_commit)
    return ContactPublic.model_validate(contact)


@router.post("/transactions", response_model=TransactionPublic, status_code=201)
def add_transaction(body: TransactionCreate, d: WorkerDesk) -> TransactionPublic:
    """Add a transaction to a customer's card."""
    draft = svc.TransactionDraft(
        customer_id=body.customer_id,
        kind=body.kind,
        at=body.at,
        amount_minor=int(body.amount * 100),
        currency=body.currency,
        reference=body.reference,
        description=body.description,
    )
    return transaction_public(svc.add_transaction(d.session, d.actor, draft, now=d.now))


@router.get("/merge/candidates", response_model=list[MergeCandidatePublic])
def merge_candidates(
    d: WorkerDesk,
    customer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    threshold: Annotated[float, Query(ge=50, le=100)] = 88.0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[MergeCandidatePublic]:
    """Likely duplicates from shared identities and fuzzy names, best first. With
    ``customer_id``, that customer's candidates found now (``offset`` unused); without
    it, a page of the whole list as the last background refresh stored it (computed at
    threshold 88: a lower ``threshold`` finds no more pairs there)."""
    if customer_id is not None:
        found = merge.find_merge_candidates(
            d.session, d.actor, customer_id=customer_id, name_threshold=threshold, limit=limit
        )
    else:
        found = merge_refresh.stored_merge_candidates(
            d.session, d.actor, name_threshold=threshold, limit=limit, offset=offset
        )
    # Each reason as the English text the API has always answered (``same phone …``).
    return [
        MergeCandidatePublic(
            a_id=m.a_id, b_id=m.b_id, score=m.score, reasons=[str(r) for r in m.reasons]
        )
        for m in found
    ]


@router.post("/merge/candidates/refresh", status_code=202)
def refresh_merge_candidates(
    request: Request, background: BackgroundTasks, _d: SupervisorDesk
) -> dict[str, str]:
    """Recompute the stored list of merge candidates now, after this answer (202): one
    refresh at a time per desk; one asked for while another runs is skipped."""
    background.add_task(request.app.state.merge_refresher.run_once)
    return {"status": "accepted"}


@router.post("/merges", response_model=MergePublic, status_code=201)
def merge_customers(body: MergeCreate, d: SupervisorDesk) -> MergePublic:
    """Merge two customers (keeps everything; undo with DELETE /api/merges/{id})."""
    log = merge.merge_customers(d.session, d.actor, body.survivor_id, body.merged_id, now=d.now)
    return MergePublic.model_validate(log)


@router.get("/merges", response_model=list[MergePublic])
def list_merges(
    d: SupervisorDesk,
    customer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> list[MergePublic]:
    """Merges, newest first."""
    return [
        MergePublic.model_validate(m) for m in merge.list_merges(d.session, customer_id=customer_id)
    ]


@router.delete("/merges/{merge_id}", response_model=MergePublic)
def unmerge_customers(merge_id: IdPath, d: SupervisorDesk) -> MergePublic:
    """Undo a merge."""
    return MergePublic.model_validate(
        merge.unmerge_customers(d.session, d.actor, merge_id, now=d.now)
    )


@router.post("/imports/customers", response_model=ImportPublic, status_code=201)
def import_customers(
    file: Annotated[UploadFile, File(description="CSV or XLSX")],
    d: SupervisorDesk,
    encoding: CsvEncoding = "utf-8",
) -> ImportPublic:
    """Import customers: all rows or none (400 lists each bad row, column and value)."""
    data = read_upload(file)
    rep = imports.import_customers(
        d.session, d.actor, data, file.filename or "", now=d.now, encoding=encoding
    )
    return ImportPublic(rows=rep.rows, created_ids=rep.created_ids)


@router.post("/imports/transactions", response_model=ImportPublic, status_code=201)
def import_transactions(
    file: Annotated[UploadFile, File(description="CSV or XLSX")],
    d: SupervisorDesk,
    encoding: CsvEncoding = "utf-8",
) -> ImportPublic:
    """Import transactions: all rows or none."""
    data = read_upload(file)
    rep = imports.import_transactions(
        d.session, d.actor, data, file.filename or "", now=d.now, encoding=encoding
    )
    return ImportPublic(rows=rep.rows, created_ids=rep.created_ids)
