"""Turn service results into response schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from touchpoint.api.schemas import (
    ContactPublic,
    Customer360Public,
    CustomerPublic,
    EventPublic,
    IdentityPublic,
    IncidentPublic,
    KpiBoardPublic,
    KpiPublic,
    RecoveryPublic,
    SlaPublic,
    TeamPublic,
    TransactionPublic,
    WorkOrderPublic,
)
from touchpoint.api.schemas.customers import SurveyCardPublic
from touchpoint.api.schemas.work_orders import ReturnVisitSurveyPublic
from touchpoint.services.customers import Customer360, CustomerView
from touchpoint.services.incidents import IncidentView
from touchpoint.services.kpi import KpiBoard
from touchpoint.services.kpi_surveys import SurveyKpis
from touchpoint.services.work_orders import WorkOrderDetail
from touchpoint.storage.models import Recovery, Team, Transaction

__all__ = [
    "customer_360_public",
    "customer_public",
    "incident_public",
    "kpi_board_public",
    "recovery_public",
    "team_public",
    "transaction_public",
    "work_order_public",
]


def _major(minor: int) -> Decimal:
    return (Decimal(minor) / 100).quantize(Decimal("0.01"))


def customer_public(view: CustomerView) -> CustomerPublic:
    """A customer view as its schema."""
    c = view.customer
    return CustomerPublic(
        id=c.id,
        kind=c.kind,
        customer_class=c.customer_class,
        name=c.name,
        organisation=c.organisation,
        preferences={str(k): str(v) for k, v in c.preferences.items()},
        notes=c.notes,
        hostage=c.hostage,
        hostage_basis=c.hostage_basis,
        hostage_note=c.hostage_note,
        merged_into_id=c.merged_into_id,
        identities=[
            IdentityPublic(id=i.id, kind=i.kind, value=i.value, masked=i.masked)
            for i in view.identities
        ],
        created_at=c.created_at,
        updated_at=c.updated_at,
        version=c.version,
    )


def work_order_public(detail: WorkOrderDetail, *, events: bool = False) -> WorkOrderPublic:
    """An order with its SLA object."""
    o = detail.order
    sla = detail.sla
    return WorkOrderPublic(
        id=o.id,
        customer_id=o.customer_id,
        type=o.type,
        channel=o.channel,
        priority=o.priority,
        tier=o.tier,
        status=o.status,
        subject=o.subject,
        description=o.description,
        owner_id=o.owner_id,
        assignee_id=o.assignee_id,
        team_id=o.team_id,
        policy_id=o.policy_id,
        incident_id=o.incident_id,
        hostile=o.hostile,
        reopen_count=o.reopen_count,
        has_return_visit=o.has_return_visit,
        created_at=o.created_at,
        updated_at=o.updated_at,
        resolved_at=o.resolved_at,
        closed_at=o.closed_at,
        version=o.version,
        sla=SlaPublic.model_validate(sla) if sla is not None else None,
        events=[EventPublic.model_validate(e) for e in detail.events] if events else None,
        recovery_of=o.recovery_of,
        origin_response_id=o.origin_response_id,
        return_visit_survey=(
            ReturnVisitSurveyPublic(
                status=rv.status.value, reason=rv.reason, csat=rv.csat, nps=rv.nps
            )
            if (rv := detail.return_visit) is not None
            else None
        ),
    )


def transaction_public(t: Transaction) -> TransactionPublic:
    """A transaction with its amount in major units."""
    return TransactionPublic(
        id=t.id,
        customer_id=t.customer_id,
        kind=t.kind,
        at=t.at,
        amount=_major(t.amount_minor),
        currency=t.currency,
        reference=t.reference,
        description=t.description,
    )


def customer_360_public(v: Customer360) -> Customer360Public:
    """The customer view."""
    return Customer360Public(
        customer=customer_public(v.customer),
        preferences={str(k): str(x) for k, x in v.preferences.items()},
        contacts=[ContactPublic.model_validate(c) for c in v.contacts],
        transactions=[transaction_public(t) for t in v.transactions],
        open_orders=[work_order_public(d) for d in v.open_orders],
        recent_orders=[work_order_public(d) for d in v.recent_orders],
        hostile_contacts=v.hostile_contacts,
        surveys=[SurveyCardPublic.model_validate(e, from_attributes=True) for e in v.surveys],
    )


def incident_public(v: IncidentView) -> IncidentPublic:
    """An incident with link counts."""
    i = v.incident
    return IncidentPublic(
        id=i.id,
        title=i.title,
        area=i.area,
        announcement=i.announcement,
        status=i.status,
        opened_by_id=i.opened_by_id,
        opened_at=i.opened_at,
        resolved_at=i.resolved_at,
        resolution_note=i.resolution_note,
        version=i.version,
        linked_orders=v.orders,
        linked_contacts=v.contacts,
    )


def recovery_public(r: Recovery) -> RecoveryPublic:
    """A recovery record."""
    return RecoveryPublic(
        id=r.id,
        work_order_id=r.work_order_id,
        step=r.step,
        cause={str(k): str(v) for k, v in r.cause.items()},
        apology=r.apology,
        remedy=r.remedy,
        compensation_kind=r.compensation_kind,
        compensation_amount=_major(r.compensation_minor),
        updated_at=r.updated_at,
        version=r.version,
        cause_id=r.cause_id,
    )


def team_public(team: Team, members: list[int]) -> TeamPublic:
    """A team with members."""
    return TeamPublic(
        id=team.id,
        name=team.name,
        tier=team.tier,
        supervisor_id=team.supervisor_id,
        member_ids=members,
        version=team.version,
    )


def survey_kpis_public(s: SurveyKpis) -> dict[str, Any]:
    """A group's survey columns (scores null below the minimum of answers)."""
    nps = s.nps if s.enough else None
    return {
        "invitations": s.invitations,
        "responses": s.responses,
        "enough": s.enough,
        "response_rate": s.response_rate,
        "csat": s.csat if s.enough else None,
        "nps": nps[0] if nps is not None else None,
        "nps_ci95": [nps[1], nps[2]] if nps is not None else None,
        "loops": s.loops,
        "loops_closed": s.loops_closed,
        "median_hours_to_close": s.median_hours_to_close,
    }


def kpi_board_public(b: KpiBoard) -> KpiBoardPublic:
    """The KPI board."""
    return KpiBoardPublic.model_validate(
        {
            "start": b.start,
            "end": b.end,
            "group_by": b.group_by.value,
            "overall": KpiPublic.model_validate(b.overall),
            "rows": [
                {
                    "key": r.key,
                    "label": r.label,
                    "kpis": KpiPublic.model_validate(r.kpis),
                    "surveys": survey_kpis_public(r.surveys),
                }
                for r in b.rows
            ],
            "surveys": survey_kpis_public(b.surveys),
            "backlog_now": b.backlog_now,
            "breached_now": b.breached_now,
            "incidents_opened": b.incidents_opened,
            "incidents_open": b.incidents_open,
            "hostile": [
                {
                    "agent_id": h.agent_id,
                    "agent": h.agent,
                    "shift": h.shift,
                    "hostile_contacts": h.hostile_contacts,
                }
                for h in b.hostile
            ],
        }
    )
