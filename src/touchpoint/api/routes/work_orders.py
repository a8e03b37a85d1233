"""Work orders: open, edit, assign, transition, reply/notes, return visits, recovery, queue.

The routes are ``async`` and run the service call, the only part that blocks, through
``DeskState.call`` (on the loop for SQLite, in the thread pool for PostgreSQL): a plain
``def`` route would cost FastAPI two thread hand-offs per request, one for the route and
one more to validate its answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from touchpoint.api.convert import recovery_public, work_order_public
from touchpoint.api.deps import (
    AfterCommitDep,
    DeskDep,
    IdPath,
    NowDep,
    Reader,
    SessionDep,
    Worker,
)
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
    session: SessionDep,
    desk: DeskDep,
    p: Worker,
    now: NowDep,
    ac: AfterCommitDep,
) -> WorkOrderPublic:
    """Open an order; the caller is its first-contact owner; the SLA policy is chosen by
    type, priority, customer class and channel unless given."""
    draft = svc.WorkOrderDraft(**body.model_dump())
    detail = await desk.call(svc.open_work_order, session, p.actor, draft, now=now, after_commit=ac)
    return work_order_public(detail)


@router.get("/work-orders", response_model=list[WorkOrderPublic])
async def list_work_orders(
    session: SessionDep,
    desk: DeskDep,
    p: Reader,
    now: NowDep,
    status: WorkOrderStatus | None = None,
    open_only: bool = False,
    customer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    team_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    incident_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[WorkOrderPublic]:
    """Orders the caller may see (agents: their teams' and their own), newest first."""
    details = await desk.call(
        svc.list_work_orders,
        session,
        p.actor,
        now=now,
        status=status,
        open_only=open_only,
        customer_id=customer_id,
        team_id=team_id,
        assignee_id=assignee_id,
        incident_id=incident_id,
        limit=limit,
        offset=offset,
    )
    return [work_order_public(d) for d in details]


@router.get("/queue", response_model=list[WorkOrderPublic])
async def my_queue(
    session: SessionDep,
    desk: DeskDep,
    p: Worker,
    now: NowDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[WorkOrderPublic]:
    """The caller's queue, most urgent first (earliest next escalation, priority, age)."""
    details = await desk.call(svc.queue, session, p.actor, now=now, limit=limit)
    return [work_order_public(d) for d in details]


@router.get("/work-orders/{order_id}", response_model=WorkOrderPublic)
async def get_work_order(
    order_id: IdPath, session: SessionDep, desk: DeskDep, p: Reader, now: NowDep
) -> WorkOrderPublic:
    """One order with its SLA state and timeline."""
    detail = await desk.call(svc.get_work_order, session, p.actor, order_id, now=now)
    return work_order_public(detail, events=True)


@router.patch("/work-orders/{order_id}", response_model=WorkOrderPublic)
async def update_work_order(
    order_id: IdPath,
    body: WorkOrderUpdate,
    session: SessionDep,
    desk: DeskDep,
    p: Worker,
    now: NowDep,
    ac: AfterCommitDep,
) -> WorkOrderPublic:
    """Edit an order (409 on a stale version)."""
    changes = svc.WorkOrderChanges(**body.model_dump(exclude={"version"}))
    detail = await desk.call(
        svc.update_work_order,
        session,
        p.actor,
        order_id,
        changes,
        version=body.version,
        now=now,
        after_commit=ac,
    )
    return work_order_public(detail)


@router.post("/work-orders/{order_id}/assignment", response_model=WorkOrderPublic)
async def assign_work_order(
    order_id: IdPath,
    body: AssignmentCreate,
    session: SessionDep,
    desk: DeskDep,
    p: Worker,
    now: NowDep,
    ac: AfterCommitDep,
) -> WorkOrderPublic:
    """Transfer to another agent; the first-contact owner stays."""
    detail = await desk.call(
        svc.assign_work_order,
        session,
        p.actor,
        order_id,
        body.assignee_id,
        version=body.version,
        now=now,
        tier=body.tier,
        team_id=body.team_id,
        after_commit=ac,
    )
    return work_order_public(detail)


@router.post("/work-orders/{order_id}/transitions", response_model=WorkOrderPublic)
async def transition_work_order(
    order_id: IdPath,
    body: TransitionCreate,
    session: SessionDep,
    desk: DeskDep,
    p: Worker,
    now: NowDep,
    ac: AfterCommitDep,
) -> WorkOrderPublic:
    """Change status (new → assigned → in_progress → waiting_* → resolved → closed; reopen)."""
    detail = await desk.call(
        svc.transition_work_order,
        session,
        p.actor,
        order_id,
        body.to,
        version=body.version,
        now=now,
        note=body.note,
        after_commit=ac,
    )
    return work_order_public(detail)


@router.post("/work-orders/{order_id}/messages", response_model=WorkOrderPublic, status_code=201)
async def add_message(
    order_id: IdPath,
    body: MessageCreate,
    session: SessionDep,
    desk: DeskDep,
    p: Worker,
    now: NowDep,
    ac: AfterCommitDep,
) -> WorkOrderPublic:
    """Reply to the customer, record a customer message, or add an internal note."""
    detail = await desk.call(
        svc.reply,
        session,
        p.actor,
        order_id,
        svc.MessageKind(body.kind),
        body.body,
        now=now,
        channel=body.channel,
        version=body.version,
        hostile=body.hostile,
        after_commit=ac,
    )
    return work_order_public(detail)


@router.post(
    "/work-orders/{order_id}/return-visits", response_model=WorkOrderPublic, status_code=201
)
async def record_return_visit(
    order_id: IdPath,
    body: ReturnVisitCreate,
    session: SessionDep,
    desk: DeskDep,
    p: Worker,
    now: NowDep,
    ac: AfterCommitDep,
) -> WorkOrderPublic:
    """Record the return visit (回访) of a resolved order, optionally closing it."""
    justice = (
        JusticeScores(body.justice.outcome, body.justice.process, body.justice.treatment)
        if body.justice is not None
        else None
    )
    detail = await desk.call(
        svc.record_return_visit,
        session,
        p.actor,
        order_id,
        satisfied=body.satisfied,
        now=now,
        justice=justice,
        note=body.note,
        close=body.close,
        version=body.version,
        after_commit=ac,
    )
    return work_order_public(detail)


@router.put("/work-orders/{order_id}/recovery", response_model=RecoveryPublic)
async def record_recovery(
    order_id: IdPath,
    body: RecoveryCreate,
    session: SessionDep,
    desk: DeskDep,
    p: Worker,
    now: NowDep,
    ac: AfterCommitDep,
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
    )
    rec = await desk.call(
        rec_svc.record_recovery,
        session,
        p.actor,
        order_id,
        draft,
        now=now,
        version=body.version,
        after_commit=ac,
    )
    return recovery_public(rec)


@router.get("/work-orders/{order_id}/recovery", response_model=RecoveryPublic)
async def get_recovery(
    order_id: IdPath, session: SessionDep, desk: DeskDep, p: Reader
) -> RecoveryPublic:
    """A complaint's recovery record."""
    rec = await desk.call(rec_svc.get_recovery, session, p.actor, order_id)
    if rec is None:
        raise NotFoundError("recovery of work_order", order_id)
    return recovery_public(rec)
