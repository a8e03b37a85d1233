"""SLA calendars and policies (issue 6's JSON) and the escalation sweep."""

from __future__ import annotations

from fastapi import APIRouter

from touchpoint.api.deps import AfterCommitDep, IdPath, NowDep, Reader, SessionDep, Supervisor
from touchpoint.api.errors import ERROR_RESPONSES
from touchpoint.api.schemas import (
    CalendarCreate,
    CalendarPublic,
    CalendarUpdate,
    EscalationRunPublic,
    PolicyCreate,
    PolicyPublic,
    PolicyUpdate,
)
from touchpoint.services import sla_admin as svc

__all__ = ["router"]

router = APIRouter(prefix="/api/sla", tags=["sla"], responses=ERROR_RESPONSES)


@router.post("/calendars", response_model=CalendarPublic, status_code=201)
def create_calendar(
    body: CalendarCreate, session: SessionDep, p: Supervisor, now: NowDep
) -> CalendarPublic:
    """Store a business calendar."""
    row = svc.create_calendar(session, p.actor, body.name, body.definition, now=now)
    return CalendarPublic.model_validate(row)


@router.get("/calendars", response_model=list[CalendarPublic])
def list_calendars(session: SessionDep, p: Reader) -> list[CalendarPublic]:
    """All calendars."""
    del p
    return [CalendarPublic.model_validate(r) for r in svc.list_calendars(session)]


@router.patch("/calendars/{calendar_id}", response_model=CalendarPublic)
def update_calendar(
    calendar_id: IdPath, body: CalendarUpdate, session: SessionDep, p: Supervisor, now: NowDep
) -> CalendarPublic:
    """Change a calendar (409 on a stale version)."""
    row = svc.update_calendar(
        session,
        p.actor,
        calendar_id,
        version=body.version,
        now=now,
        name=body.name,
        definition=body.definition,
    )
    return CalendarPublic.model_validate(row)


def _draft(body: PolicyCreate) -> svc.PolicyDraft:
    return svc.PolicyDraft(
        name=body.name,
        definition=body.definition,
        calendar_id=body.calendar_id,
        rank=body.rank,
        types=tuple(body.types),
        priorities=tuple(body.priorities),
        customer_classes=tuple(body.customer_classes),
        channels=tuple(body.channels),
        warn_share=body.warn_share,
        active=body.active,
    )


@router.post("/policies", response_model=PolicyPublic, status_code=201)
def create_policy(
    body: PolicyCreate, session: SessionDep, p: Supervisor, now: NowDep
) -> PolicyPublic:
    """Store a policy with its selection conditions."""
    return PolicyPublic.model_validate(svc.create_policy(session, p.actor, _draft(body), now=now))


@router.get("/policies", response_model=list[PolicyPublic])
def list_policies(session: SessionDep, p: Reader) -> list[PolicyPublic]:
    """All policies in selection order."""
    del p
    return [PolicyPublic.model_validate(r) for r in svc.list_policies(session)]


@router.put("/policies/{policy_id}", response_model=PolicyPublic)
def update_policy(
    policy_id: IdPath, body: PolicyUpdate, session: SessionDep, p: Supervisor, now: NowDep
) -> PolicyPublic:
    """Replace a policy (409 on a stale version)."""
    row = svc.update_policy(
        session, p.actor, policy_id, _draft(body), version=body.version, now=now
    )
    return PolicyPublic.model_validate(row)


@router.post("/escalations/run", response_model=EscalationRunPublic)
def run_escalations(
    session: SessionDep, p: Supervisor, now: NowDep, ac: AfterCommitDep
) -> EscalationRunPublic:
    """Sweep open orders now: warnings before, tier-up and supervisor notice on breach."""
    s = svc.escalate_due(session, p.actor, now=now, after_commit=ac)
    return EscalationRunPublic(
        orders_checked=s.orders_checked,
        warnings=s.warnings,
        breaches=s.breaches,
        tier_ups=s.tier_ups,
        steps=s.steps,
    )
