"""The five-gap report's answer (``GET /api/gaps``), as its OpenAPI documents it.

The route sends the report as the service builds it; these models only describe it (a
test checks that their keys are exactly the answer's). Every figure a wave or the desk
cannot give is null; shortfalls run from 0 to 1 (``normalisation`` says how)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["GapReportPublic"]


class GapPeriodPublic(BaseModel):
    """The desk's period of gaps 3 and 4: local dates ``from``-``to`` of ``tz``, the
    orders created in it, their SLA read at ``at`` (the period's end, or now)."""

    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    tz: str
    at: datetime
    orders: int


class Gap1DimensionPublic(BaseModel):
    """Gap 1 of one dimension: the managers' E less the customers' E, and the items
    where they differ, the widest first."""

    dimension: str
    managers_expectation: float | None
    customers_expectation: float | None
    gap: float | None
    shortfall: float | None
    items: list[int]


class Gap1Public(BaseModel):
    """Gap 1 (knowledge), from the managers' wave."""

    dimensions: list[Gap1DimensionPublic]


class Gap2DimensionPublic(BaseModel):
    """Gap 2 of one dimension: its high-importance items and those without a standard."""

    dimension: str
    high_items: list[int]
    uncovered_items: list[int]
    share: float | None
    shortfall: float | None


class Gap2Public(BaseModel):
    """Gap 2 (standards): importance from the customers' ``expectation`` or the given
    ``weights``."""

    importance: str
    high_items: list[int]
    uncovered_items: list[int]
    share: float | None
    shortfall: float | None
    dimensions: list[Gap2DimensionPublic]


class Gap3StandardPublic(BaseModel):
    """One standard with an SLA metric against the period's orders."""

    id: int
    item: int | None
    dimension: str
    metric: str
    target: float
    orders: int
    met: int
    compliance: float | None
    shortfall: float | None
    items: list[int]


class Gap3Public(BaseModel):
    """Gap 3 (delivery): the measured standards, and the ids of those without an SLA
    metric."""

    standards: list[Gap3StandardPublic]
    unmeasured: list[int]


class Gap4PledgePublic(BaseModel):
    """One pledge against the values the period's orders delivered."""

    id: int
    name: str
    metric: str
    promised_value: float
    dimension: str | None
    orders: int
    within: int
    share_within: float | None
    median: float | None
    shortfall: float | None
    items: list[int]


class Gap4Public(BaseModel):
    """Gap 4 (communication): each pledge."""

    pledges: list[Gap4PledgePublic]


class Gap5DimensionPublic(BaseModel):
    """Gap 5 of one dimension: P - E, and its items below expectation, the worst first."""

    dimension: str
    expectation: float | None
    perception: float | None
    gap: float | None
    shortfall: float | None
    items: list[int]


class Gap5Public(BaseModel):
    """Gap 5 (the customers' gap), from the customers' wave."""

    unweighted: float | None
    dimensions: list[Gap5DimensionPublic]


class LargestGapPublic(BaseModel):
    """The largest shortfall of all gaps and what lies behind it."""

    gap: int
    shortfall: float
    dimension: str | None
    items: list[int]
    standards: list[int]
    pledges: list[int]


class GapReportPublic(BaseModel):
    """The five-gap report: ``gap1`` null without a managers' wave, ``gap3``, ``gap4`` and
    ``period`` null without a period, ``largest`` null when no gap could be measured."""

    customer_wave: int
    manager_wave: int | None
    period: GapPeriodPublic | None
    normalisation: str
    gap1: Gap1Public | None
    gap2: Gap2Public
    gap3: Gap3Public | None
    gap4: Gap4Public | None
    gap5: Gap5Public
    largest: LargestGapPublic | None
