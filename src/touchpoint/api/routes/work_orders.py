"""Work orders: open, edit, assign, transition, reply/notes, return visits, recovery, queue.

The routes are ``async`` and run the service call, the only part that blocks, through
``RequestDesk.call`` (on the loop for SQLite, in the thread pool for PostgreSQL): a plain
``def`` route would cost FastAPI two thread hand-offs per request, one for the route and
one more to validate its answer. Each takes what its call needs as one dependency
(``WorkerDesk`` or ``ReaderDesk``: session, user, instant, outbox wake-up).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from touchpoint.api.convert import recovery_public, work_order_public
from touchpoint.api.deps import IdPath, ReaderDesk, WorkerDesk
from touchpoint.api.errors import ERROR_RESPONSES
from touchpoint.api.schemas import (
    AssignmentCreate,
    MessageCreate,
    RecoveryCreate,
    RecoveryPublic,
    ReturnVisitCreate,
    TransitionCreate,
    WorkOrderCreate,
    WorkOrderPublic,
    WorkOrderUpdate,
)
from touchpoint.domain.recovery import Cause5W1H, Compensation, JusticeScores
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services import recovery as rec_svc
from touchpoint.services import work_orders as svc
from touchpoint.services.errors import NotFoundError

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["work orders"], responses=ERROR_RESPONSES)


@router.post("/work-orders", response_model=WorkOrderPublic, status_code=201)
async def open_work_order(
    body: WorkOrderCreate,
    d: WorkerDesk,
) -> WorkOrderPublic:
    """Open an order; the caller is its first-contact owner; the SLA policy is chosen by
    type, priority, customer class and channel unless given."""
    draft = svc.WorkOrderDraft(**body.model_dump())
    detail = await d.call(
        svc.open_work_order, d.session, d.actor, draft, now=d.now, after_commit=d.after_commit
    )
    return work_order_public(detail)


@router.get("/work-orders", response_model=list[WorkOrderPublic])
async def list_work_orders(
    d: ReaderDesk,
    status: WorkOrderStatus | None = None,
    open_only: bool = False,
    customer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    team_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    incident_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    recovery_of: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> list[WorkOrderPublic]:
    """Orders the caller may see (agents: their teams' and their own), newest first."""
    details = await d.call(
        svc.list_work_orders,
        d.session,
        d.actor,
        now=d.now,
        status=status,
        open_only=open_only,
        customer_id=customer_id,
        team_id=team_id,
        assignee_id=assignee_id,
        incident_id=incident_id,
        limit=limit,
        offset=offset,
        recovery_of=recovery_of,
    )
    return [work_order_public(d) for d in details]


@router.get("/queue", response_model=list[WorkOrderPublic])
async def my_queue(
    d: WorkerDesk,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[WorkOrderPublic]:
    """The caller's queue, most urgent first (earliest next escalation, priority, age)."""
    details = await d.call(svc.queue, d.session, d.actor, now=d.now, limit=limit)
    return [work_order_public(d) for d in details]


@router.get("/work-orders/{order_id}", response_model=WorkOrderPublic)
async def get_work_order(order_id: IdPath, d: ReaderDesk) -> WorkOrderPublic:
    """One order with its SLA state and timeline."""
    detail = await d.call(svc.get_work_order, d.session, d.actor, order_id, now=d.now)
    return work_order_public(detail, events=True)


@router.patch("/work-orders/{order_id}", response_model=WorkOrderPublic)
async def update_work_order(
    order_id: IdPath,
    body: WorkOrderUpdate,
    d: WorkerDesk,
) -> WorkOrderPublic:
    """Edit an order (409 on a stale version)."""
    changes = svc.WorkOrderChanges(**body.model_dump(exclude={"version"}))
    detail = await d.call(
        svc.update_work_order,
        d.session,
        d.actor,
        order_id,
        changes,
        version=body.version,
        now=d.now,
        after_commit=d.after_commit,
    )
    return work_order_public(detail)


@router.post("/work-orders/{order_id}/assignment", response_model=WorkOrderPublic)
async def assign_work_order(
    order_id: IdPath,
    body: AssignmentCreate,
    d: WorkerDesk,
) -> WorkOrderPublic:
    """Transfer to another agent; the first-contact owner stays."""
    detail = await d.call(
        svc.assign_work_order,
        d.session,
        d.actor,
        order_id,
        body.assignee_id,
        version=body.version,
        now=d.now,
        tier=body.tier,
        team_id=body.team_id,
        after_commit=d.after_commit,
    )
    return work_order_public(detail)


@router.post("/work-orders/{order_id}/transitions", response_model=WorkOrderPublic)
async def transition_work_order(
    order_id: IdPath,
    body: TransitionCreate,
    d: WorkerDesk,
) -> WorkOrderPublic:
    """Change status (new → assigned → in_progress → waiting_* → resolved → closed; reopen)."""
    detail = await d.call(
        svc.transition_work_order,
        d.session,
        d.actor,
        order_id,
        body.to,
        version=body.version,
        now=d.now,
        note=body.note,
        after_commit=d.after_commit,
        links=d.state.surveys,
    )
    return work_order_public(detail)


@router.post("/work-orders/{order_id}/messages", response_model=WorkOrderPublic, status_code=201)
async def add_message(
    order_id: IdPath,
    body: MessageCreate,
    d: WorkerDesk,
) -> WorkOrderPublic:
    """Reply to the customer, record a customer message, or add an internal note."""
    detail = await d.call(
        svc.reply,
        d.session,
        d.actor,
        order_id,
        svc.MessageKind(body.kind),
        body.body,
        now=d.now,
        channel=body.channel,
        version=body.version,
        hostile=body.hostile,
        after_commit=d.after_commit,
    )
    return work_order_public(detail)


@router.post(
    "/work-orders/{order_id}/return-visits", response_model=WorkOrderPublic, status_code=201
)
async def record_return_visit(
    order_id: IdPath,
    body: ReturnVisitCreate,
    d: WorkerDesk,
) -> WorkOrderPublic:
    """Record the return visit (回访) of a resolved order, optionally closing it."""
    justice = (
        JusticeScores(body.justice.outcome, body.justice.process, body.justice.treatment)
        if body.justice is not None
        else None
    )
    detail = await d.call(
        svc.record_return_visit,
        d.session,
        d.actor,
        order_id,
        satisfied=body.satisfied,
        now=d.now,
        justice=justice,
        note=body.note,
        close=body.close,
        version=body.version,
        after_commit=d.after_commit,
        csat=body.csat,
        nps=body.nps,
        zone=d.state.time_zone,
    )
    return work_order_public(detail)


@router.put("/work-orders/{order_id}/recovery", response_model=RecoveryPublic)
async def record_recovery(
    order_id: IdPath,
    body: RecoveryCreate,
    d: WorkerDesk,
) -> RecoveryPublic:
    """Create or update a complaint's service recovery; a notice informs the customer."""
    draft = rec_svc.RecoveryDraft(
        step=body.step,
        cause=Cause5W1H(**body.cause.model_dump()) if body.cause is not None else None,
        apology=body.apology,
        remedy=body.remedy,
        compensation=(
            Compensation(body.compensation.kind, int(body.compensation.amount * 100))
            if body.compensation is not None
            else None
        ),
        notice=body.notice,
        cause_id=body.cause_id,
    )
    rec = await d.call(
        rec_svc.record_recovery,
        d.session,
        d.actor,
        order_id,
        draft,
        now=d.now,
        version=body.version,
        after_commit=d.after_commit,
    )
    return recovery_public(rec)


@router.get("/work-orders/{order_id}/recovery", response_model=RecoveryPublic)
async def get_recovery(order_id: IdPath, d: ReaderDesk) -> RecoveryPublic:
    """A complaint's recovery record."""
    rec = await d.call(rec_svc.get_recovery, d.session, d.actor, order_id)
    if rec is None:
        raise NotFoundError("recovery of work_order", order_id)
    return recovery_public(rec)
