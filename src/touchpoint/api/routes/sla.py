"""SLA calendars and policies (issue 6's JSON) and the escalation sweep."""

from __future__ import annotations

from fastapi import APIRouter

from touchpoint.api.deps import IdPath, ReaderDesk, SupervisorDesk
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
def create_calendar(body: CalendarCreate, d: SupervisorDesk) -> CalendarPublic:
    """Store a business calendar."""
    row = svc.create_calendar(d.session, d.actor, body.name, body.definition, now=d.now)
    return CalendarPublic.model_validate(row)


@router.get("/calendars", response_model=list[CalendarPublic])
def list_calendars(d: ReaderDesk) -> list[CalendarPublic]:
    """All calendars."""
    return [CalendarPublic.model_validate(r) for r in svc.list_calendars(d.session)]


@router.patch("/calendars/{calendar_id}", response_model=CalendarPublic)
def update_calendar(calendar_id: IdPath, body: CalendarUpdate, d: SupervisorDesk) -> CalendarPublic:
    """Change a calendar (409 on a stale version)."""
    row = svc.update_calendar(
        d.session,
        d.actor,
        calendar_id,
        version=body.version,
        now=d.now,
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
def create_policy(body: PolicyCreate, d: SupervisorDesk) -> PolicyPublic:
    """Store a policy with its selection conditions."""
    return PolicyPublic.model_validate(
        svc.create_policy(d.session, d.actor, _draft(body), now=d.now)
    )


@router.get("/policies", response_model=list[PolicyPublic])
def list_policies(d: ReaderDesk) -> list[PolicyPublic]:
    """All policies in selection order."""
    return [PolicyPublic.model_validate(r) for r in svc.list_policies(d.session)]


@router.put("/policies/{policy_id}", response_model=PolicyPublic)
def update_policy(policy_id: IdPath, body: PolicyUpdate, d: SupervisorDesk) -> PolicyPublic:
    """Replace a policy (409 on a stale version)."""
    row = svc.update_policy(
        d.session, d.actor, policy_id, _draft(body), version=body.version, now=d.now
    )
    return PolicyPublic.model_validate(row)


@router.post("/escalations/run", response_model=EscalationRunPublic)
def run_escalations(d: SupervisorDesk) -> EscalationRunPublic:
    """Sweep open orders now: warnings before, tier-up and supervisor notice on breach."""
    s = svc.escalate_due(d.session, d.actor, now=d.now, after_commit=d.after_commit)
    return EscalationRunPublic(
        orders_checked=s.orders_checked,
        warnings=s.warnings,
        breaches=s.breaches,
        tier_ups=s.tier_ups,
        steps=s.steps,
    )
