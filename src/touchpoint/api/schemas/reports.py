"""Schemas of the reports router: the KPI board."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from touchpoint.domain.kpi import Shift

__all__ = [
    "HostileLoadPublic",
    "KpiBoardPublic",
    "KpiPublic",
    "KpiRowPublic",
]


class KpiPublic(BaseModel):
    """KPIs of a set of orders; rates in [0, 1]."""

    model_config = ConfigDict(from_attributes=True)

    orders: int
    resolved: int
    backlog: int
    first_response_mean_minutes: float | None
    first_response_median_minutes: float | None
    resolution_mean_minutes: float | None
    resolution_median_minutes: float | None
    first_contact_resolution_rate: float | None
    resolution_rate: float | None
    reopen_rate: float | None
    complaint_rate: float | None
    sla_opportunities: int
    sla_breaches: int
    sla_compliance: float | None
    dpmo: float | None
    sigma_level: float | None


class SurveyKpisPublic(BaseModel):
    """Return visits and loops of a group's orders: invitations issued, answers, response
    rate, CSAT (share of 4–5) and NPS with its adjusted-Wald 95% interval — both null
    while ``enough`` is false (fewer than 5 answers) —, recovery loops opened and closed,
    and the median hours from the answer to the recovery's resolution."""

    invitations: int
    responses: int
    enough: bool
    response_rate: float | None
    csat: float | None
    nps: float | None
    nps_ci95: list[float] | None
    loops: int
    loops_closed: int
    median_hours_to_close: float | None


class KpiRowPublic(BaseModel):
    """One team's or agent's KPIs."""

    key: int | None
    label: str
    kpis: KpiPublic
    surveys: SurveyKpisPublic | None = None


class HostileLoadPublic(BaseModel):
    """Hostile contacts per agent and shift."""

    agent_id: int | None
    agent: str
    shift: Shift
    hostile_contacts: int


class KpiBoardPublic(BaseModel):
    """The supervisor board."""

    start: datetime
    end: datetime
    group_by: str
    overall: KpiPublic
    rows: list[KpiRowPublic]
    backlog_now: int
    breached_now: int
    incidents_opened: int
    incidents_open: int
    hostile: list[HostileLoadPublic]
    surveys: SurveyKpisPublic | None = None
