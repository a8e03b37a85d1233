"""Service recovery on complaints: cause (5W1H), apology, remedy, compensation, notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.errors import DomainError, RuleViolation, unknown_reference
from touchpoint.domain.recovery import Cause5W1H, Compensation, RecoveryStep
from touchpoint.domain.work_orders import WorkOrderType
from touchpoint.services.base import Actor, AfterCommit, WriteUnit, check_version, require, snapshot
from touchpoint.services.order_write import LoadedOrder, add_event, order_write, refresh_order
from touchpoint.services.work_orders import load_visible
from touchpoint.storage.models import ComplaintCause, Contact, CustomerIdentity, Recovery

__all__ = ["RecoveryDraft", "get_recovery", "record_recovery"]


@dataclass(frozen=True, slots=True)
class RecoveryDraft:
    """The recovery record of a complaint; ``notice`` is sent to the customer."""

    step: RecoveryStep
    cause: Cause5W1H | None = None
    apology: str = ""
    remedy: str = ""
    compensation: Compensation | None = None
    notice: str = ""
    # The coded cause (an active ``ComplaintCause``'s id), for the outer loop.
    cause_id: int | None = None


def record_recovery(
    session: Session,
    actor: Actor,
    order_id: int,
    draft: RecoveryDraft,
    *,
    now: datetime,
    version: int | None = None,
    after_commit: AfterCommit | None = None,
) -> Recovery:
    """Create or update a complaint's recovery; a notice keeps the customer informed.

    The notice is an ``agent_reply`` on the timeline (tag ``recovery_notice``), a
    contact on the contact card and an e-mail to the customer after commit.
    ``version`` is the recovery's version when updating.
    """
    require(actor, actor.role.can_handle_orders, "record service recovery")
    with order_write(
        session,
        actor,
        "work_order.recovery",
        order_id,
        version=None,  # ``version`` is the recovery's, checked below
        now=now,
        after_commit=after_commit,
    ) as (unit, loaded):
        order = loaded.order
        if not WorkOrderType(order.type).is_complaint:
            raise RuleViolation(
                f"type: service recovery applies to complaints; order {order.id} is {order.type}",
                code="recovery_needs_complaint",
                params={"id": order.id, "type": order.type},
            )
        rec = session.scalar(select(Recovery).where(Recovery.work_order_id == order.id))
        before = snapshot(rec) if rec is not None else None
        if rec is None:
            rec = Recovery(work_order_id=order.id, updated_at=now)
            session.add(rec)
        else:
            check_version("recovery", rec.id, rec.version, version)
        if draft.cause_id is not None:
            _check_cause(session, draft.cause_id)
        _apply_draft(rec, draft, now)
        if draft.notice.strip():
            _send_notice(session, unit, loaded, draft, now)
        refresh_order(unit, loaded)
        session.flush()
        unit.audit("recovery", rec.id, before=before, after=snapshot(rec))
        unit.notify("work_order.recovery", {"work_order_id": order.id, "recovery": snapshot(rec)})
    return rec


def _apply_draft(rec: Recovery, draft: RecoveryDraft, now: datetime) -> None:
    """Set the recovery's step and what the draft gives (empty texts leave them)."""
    rec.step = draft.step.value
    if draft.cause_id is not None:
        rec.cause_id = draft.cause_id
    if draft.cause is not None:
        c = draft.cause
        rec.cause = {
            "what": c.what,
            "why": c.why,
            "who": c.who,
            "where": c.where,
            "when": c.when,
            "how": c.how,
        }
    if draft.apology:
        rec.apology = draft.apology
    if draft.remedy:
        rec.remedy = draft.remedy
    if draft.compensation is not None:
        rec.compensation_kind = draft.compensation.kind.value
        rec.compensation_minor = draft.compensation.amount_minor
    rec.updated_at = now


def _check_cause(session: Session, cause_id: int) -> None:
    """A recovery is coded with an active cause of the supervisors' list."""
    active = session.scalar(select(ComplaintCause.active).where(ComplaintCause.id == cause_id))
    if active is None:
        raise unknown_reference("cause_id", "complaint_cause", cause_id, "complaint cause")
    if not active:
        raise DomainError(
            f"cause_id: complaint cause {cause_id} is retired",
            code="cause_retired",
            params={"id": cause_id},
        )


def _send_notice(
    session: Session, unit: WriteUnit, loaded: LoadedOrder, draft: RecoveryDraft, now: datetime
) -> None:
    """Keep the customer informed: a reply on the timeline (tag ``recovery_notice``), a
    contact on the contact card and an e-mail after commit."""
    order = loaded.order
    text = draft.notice.strip()
    add_event(
        session,
        order,
        "agent_reply",
        at=now,
        actor_id=unit.actor.user_id,
        body=text,
        channel=order.channel,
        tag="recovery_notice",
        timeline=loaded.timeline,
    )
    session.add(
        Contact(
            customer_id=order.customer_id,
            channel=order.channel,
            direction="outbound",
            touchpoint="service_recovery",
            agent_id=unit.actor.user_id,
            outcome="order_updated",
            summary=text,
            work_order_id=order.id,
            at=now,
        )
    )
    for address in session.scalars(
        select(CustomerIdentity.value)
        .where(
            CustomerIdentity.customer_id == order.customer_id,
            CustomerIdentity.kind == IdentityKind.EMAIL.value,
        )
        .limit(1)
    ):
        unit.email(address, f"Your complaint #{order.id}: {draft.step.value}", text)


def get_recovery(session: Session, actor: Actor, order_id: int) -> Recovery | None:
    """The recovery record of a complaint, if any."""
    order = load_visible(session, actor, order_id)
    return session.scalar(select(Recovery).where(Recovery.work_order_id == order.id))
