"""SQLAlchemy models of surveys: definitions and their versions, waves, invitations (the
signed links), responses and opt-outs (``services.surveys``).

A survey's ``version`` is both its optimistic-concurrency counter and the number of its
current definition: every edit stores a new :class:`SurveyVersion`, and a wave answers
with the version it was opened on, so that stored responses keep their questions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from touchpoint.storage.models import Base, JsonDict, Versioned

__all__ = [
    "Survey",
    "SurveyInvitation",
    "SurveyOptOut",
    "SurveyResponse",
    "SurveyVersion",
    "SurveyWave",
]


class Survey(Versioned, Base):
    """A survey: its name, the template it came from (if any) and its current definition."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    template: Mapped[str | None] = mapped_column(String(40))
    definition: Mapped[JsonDict]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # What the desk itself uses the survey for (``return_visit``): found by it, so that
    # its name is the analysts' to change; one survey per purpose.
    purpose: Mapped[str | None] = mapped_column(String(30))
    __table_args__ = (Index("uq_surveys_purpose", "purpose", unique=True),)


class SurveyVersion(Base):
    """One version of a survey's definition, kept for the waves and responses that use it."""

    __tablename__ = "survey_versions"
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[JsonDict]
    created_at: Mapped[datetime]


class SurveyWave(Versioned, Base):
    """A round of a survey sent to customers: how long its links stay valid, whether it
    is still open, its kiosk key (a link for a counter, not personal) and reminder."""

    __tablename__ = "survey_waves"
    __table_args__ = (
        Index("uq_survey_waves_return_visit_month", "return_visit_month", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    survey_version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    expires_in_days: Mapped[int] = mapped_column(Integer, default=14)
    reminder_days: Mapped[int | None] = mapped_column(Integer)
    competitor: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    # ``YYYY-MM`` for the month's return-visit wave (``services.return_visits``).
    return_visit_month: Mapped[str | None] = mapped_column(String(7))
    # ``domain.survey_quotas``: [{"segment", "value", "limit"}], empty for none.
    quotas: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    kiosk_key: Mapped[str] = mapped_column(String(40), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class SurveyInvitation(Base):
    """A customer's personal link to a wave: single-use, expiring, cancellable.

    The link's token is signed and carries the invitation's id and ``nonce``; only a
    token with both is accepted. ``status``: sent, opened, partial (answers saved for
    later, in ``progress``), completed, cancelled.
    """

    __tablename__ = "survey_invitations"
    __table_args__ = (
        # One invitation per customer and wave, but for an order's return visit: a
        # customer may have several orders resolved in one month's return-visit wave.
        Index(
            "uq_survey_invitations_wave_customer",
            "wave_id",
            "customer_id",
            unique=True,
            sqlite_where=text("work_order_id IS NULL"),
            postgresql_where=text("work_order_id IS NULL"),
        ),
        Index("ix_survey_invitations_customer_created", "customer_id", "created_at"),
        # The KPI board's return visits per team and per agent (``services.kpi_surveys``).
        Index("ix_survey_invitations_team_issued", "wave_id", "team_id", "status", "created_at"),
        Index("ix_survey_invitations_agent_issued", "wave_id", "agent_id", "status", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(320), default="")
    nonce: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="sent")
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    # The surveyed order's team and agent when the return visit was issued (the board's).
    team_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    touchpoint: Mapped[str] = mapped_column(String(100), default="")
    context: Mapped[JsonDict] = mapped_column(default=dict)
    progress: Mapped[JsonDict | None]
    # A return visit scheduled after a resolution is issued at ``send_at``; a skipped
    # one keeps why (``reason``).
    send_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]


class SurveyResponse(Base):
    """A completed response: the checked answers, who (unless the survey is anonymous),
    through which channel and when. One per invitation (the unique constraint makes a
    second submission of the same link fail); kiosk responses have no invitation."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        Index("ix_survey_responses_wave_id", "wave_id", "id"),
        Index("ix_survey_responses_customer_submitted", "customer_id", "submitted_at"),
        Index("ix_survey_responses_submitted_at", "submitted_at"),
        # The KPI board's scores per team and per agent (``services.kpi_surveys``).
        Index(
            "ix_survey_responses_team_scores", "wave_id", "team_id", "csat", "nps", "submitted_at"
        ),
        Index(
            "ix_survey_responses_agent_scores", "wave_id", "agent_id", "csat", "nps", "submitted_at"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id"))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_invitations.id"), unique=True
    )
    survey_version: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(10))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    touchpoint: Mapped[str] = mapped_column(String(100), default="")
    # The surveyed order's agent and team (a return visit), for the board.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    answers: Mapped[JsonDict]
    # The answers' whole-number CSAT and NPS (``survey_answers.headline_scores``), kept
    # beside them so the board counts scores without parsing every answer.
    csat: Mapped[int | None] = mapped_column(SmallInteger)
    nps: Mapped[int | None] = mapped_column(SmallInteger)
    segments: Mapped[JsonDict] = mapped_column(default=dict)
    submitted_at: Mapped[datetime]


class SurveyOptOut(Base):
    """A customer who asked never to be surveyed again (the opt-out link of a mail or SMS,
    or an agent on their behalf)."""

    __tablename__ = "survey_opt_outs"
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(Text, default="")
    via_link: Mapped[bool] = mapped_column(Boolean, default=False)
