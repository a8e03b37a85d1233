"""SQLAlchemy models of the five-gap report's registers (``services.gaps``): the service
standards management has set (gap 2 asks which important items have none, gap 3 how
well the desk meets them) and the service pledges made to customers (服务承诺, gap 4).

Both are small lists kept by supervisors; an entry is added, never edited in place
(its audit row is its history).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from touchpoint.storage.models import Base

__all__ = ["ServicePledge", "ServiceStandard"]


class ServiceStandard(Base):
    """A service standard: the SERVQUAL item (1-22) or dimension it serves, the metric it
    is measured by (``sla_first_response``, ``sla_resolution``, ``sla_next_update``: the
    share of orders meeting that SLA target; or any other metric, named freely), the
    target (for the SLA metrics a share from 0 to 1) and where it comes from."""

    __tablename__ = "service_standards"
    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[int | None] = mapped_column(Integer)
    dimension: Mapped[str | None] = mapped_column(String(40))
    metric: Mapped[str] = mapped_column(String(100))
    target: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class ServicePledge(Base):
    """A promise made to customers: ``metric`` (``resolution_minutes`` or
    ``first_response_minutes``, business minutes as the SLA clock counts them) within
    ``promised_value``, for the orders of an optional type, channel and team; the
    SERVQUAL dimension it speaks to, if any."""

    __tablename__ = "service_pledges"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(40))
    promised_value: Mapped[float] = mapped_column(Float)
    dimension: Mapped[str | None] = mapped_column(String(40))
    order_type: Mapped[str | None] = mapped_column(String(30))
    channel: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
