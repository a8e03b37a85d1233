"""Return-visit surveys on resolution (回访): the first half of the closed loop.

When an order is resolved, a ``return-visit`` invitation for it joins that month's
return-visit wave (made when first needed, on one return-visit survey the desk makes
itself): issued ``return_visit_delay_minutes`` later by the desk clock, or in the
resolving commit when the delay is 0. Issuing it picks the channel (e-mail when the
customer has an e-mail identity, else SMS to a phone) or skips it with a reason:
``mass_incident`` (the incident's own notice covers the order), ``no_customer_message``
(a praise or consultation the customer never wrote about), ``opted_out``, ``throttled``
(the customer *answered* another return visit within ``return_visit_recontact_days``;
never for a recovery order's re-survey) or ``no_address``. Reopening the order before the
answer cancels the invitation (its link then answers 410); a later resolution issues a
new one.

Everything here runs inside the order's own write (the order row is locked), with Core
statements on the write's connection, so the order's single UPDATE stays the order's
only write path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.survey_answers import check_answers, headline_scores
from touchpoint.domain.survey_templates import template_definition
from touchpoint.domain.work_orders import WorkOrderType
from touchpoint.services.base import Actor, AfterCommit, WriteUnit, write
from touchpoint.services.recovery_loop import open_recovery
from touchpoint.services.return_visit_reads import (
    RETURN_VISIT_PURPOSE,
    RETURN_VISIT_SURVEY_NAME,
    ReturnVisitStatus,
    ReturnVisitSurvey,
    return_visit_of,
)
from touchpoint.services.survey_invitations import Channel, queue_invitation_message
from touchpoint.services.survey_links import DESK_TIME_ZONE, SurveyLinks, new_nonce
from touchpoint.services.surveys import InvitationStatus, WaveStatus, definition_for
from touchpoint.storage.models import CustomerIdentity, WorkOrder, WorkOrderEvent
from touchpoint.storage.survey_models import (
    Survey,
    SurveyInvitation,
    SurveyOptOut,
    SurveyResponse,
    SurveyVersion,
    SurveyWave,
)

__all__ = [
    "RETURN_VISIT_SURVEY_NAME",
    "ReturnVisitStatus",
    "ReturnVisitSurvey",
    "cancel_return_visits",
    "issue_due_return_visits",
    "month_wave_id",
    "record_phone_answer",
    "return_visit_of",
    "schedule_return_visit",
]

#: How long a return visit's link stays valid.
_EXPIRES_DAYS = 14
_INV = SurveyInvitation.metadata.tables[SurveyInvitation.__tablename__]
_WAVES = SurveyWave.metadata.tables[SurveyWave.__tablename__]
_SURVEYS = Survey.metadata.tables[Survey.__tablename__]
_VERSIONS = SurveyVersion.metadata.tables[SurveyVersion.__tablename__]
_RESPONSES = SurveyResponse.metadata.tables[SurveyResponse.__tablename__]


def _insert_id(connection: Connection, table: Table, values: dict[str, Any]) -> int:
    """Insert one row; its new id."""
    (new_id,) = connection.execute(insert(table).values(values)).inserted_primary_key or (None,)
    if new_id is None:
        raise RuntimeError(f"{table.name}: the database gave the new row no id")
    return int(new_id)


#: An invitation not yet answered nor cancelled: scheduled, or issued and answerable.
_OPEN = [s.value for s in InvitationStatus if s.answerable] + [ReturnVisitStatus.SCHEDULED.value]


def month_wave_id(connection: Connection, now: datetime, zone: str = DESK_TIME_ZONE) -> int:
    """The return-visit wave of ``now``'s month on the desk's clock (``zone``): made, with
    the survey, when first needed."""
    month = now.astimezone(ZoneInfo(zone)).strftime("%Y-%m")
    found = connection.execute(
        select(_WAVES.c.id).where(_WAVES.c.return_visit_month == month)
    ).scalar()
    if found is not None:
        return int(found)
    survey = connection.execute(
        select(Survey.id, Survey.version).where(Survey.purpose == RETURN_VISIT_PURPOSE)
    ).first()
    if survey is None:
        document = definition_for(template_definition("return-visit")).as_json()
        survey_id = _insert_id(
            connection,
            _SURVEYS,
            dict(
                name=RETURN_VISIT_SURVEY_NAME,
                template="return-visit",
                purpose=RETURN_VISIT_PURPOSE,
                definition=document,
                created_by=None,
                created_at=now,
                updated_at=now,
                version=1,
            ),
        )
        connection.execute(
            insert(_VERSIONS).values(
                survey_id=survey_id, version=1, definition=document, created_at=now
            )
        )
        return _new_wave(connection, month, survey_id, 1, now)
    return _new_wave(connection, month, int(survey[0]), int(survey[1]), now)


def _new_wave(
    connection: Connection, month: str, survey_id: int, version: int, now: datetime
) -> int:
    """The month's return-visit wave, made now (or by a resolution at the same time)."""
    values = {
        "survey_id": survey_id,
        "survey_version": version,
        "name": f"回访 {month}",
        "expires_in_days": _EXPIRES_DAYS,
        "competitor": "",
        "status": WaveStatus.OPEN.value,
        "return_visit_month": month,
        "quotas": [],
        "kiosk_key": new_nonce(),
        "created_by": None,
        "created_at": now,
        "version": 1,
    }
    try:
        # Another resolution may make the month's wave at the same time: a savepoint on
        # the write's connection (the session's own would flush the order being saved).
        with connection.begin_nested():
            return _insert_id(connection, _WAVES, values)
    except IntegrityError:
        return int(
            connection.execute(
                select(_WAVES.c.id).where(_WAVES.c.return_visit_month == month)
            ).scalar_one()
        )


def _static_skip(order: WorkOrder, connection: Connection) -> str:
    """A reason known at resolution: a mass incident's order, or a praise or consultation
    without a customer message."""
    if order.incident_id is not None:
        return "mass_incident"
    if order.type in (WorkOrderType.PRAISE.value, WorkOrderType.CONSULTATION.value):
        wrote = connection.execute(
            select(func.count())
            .select_from(WorkOrderEvent)
            .where(
                WorkOrderEvent.work_order_id == order.id,
                WorkOrderEvent.type == "customer_message",
            )
        ).scalar()
        if not wrote:
            return "no_customer_message"
    return ""


def schedule_return_visit(
    session: Session,
    order: WorkOrder,
    now: datetime,
    *,
    unit: WriteUnit | None = None,
    links: SurveyLinks | None = None,
) -> None:
    """On resolution: the order's return-visit invitation, scheduled, skipped at once, or
    (delay 0, with ``links`` and the write ``unit``) issued in this commit."""
    # Without the desk's settings, the settings' default delay.
    delay = (links or SurveyLinks).return_visit_delay_minutes
    connection = session.connection()
    skip = _static_skip(order, connection)
    send_at = now + timedelta(minutes=delay)
    recovery = order.origin_response_id is not None
    row = {
        "wave_id": month_wave_id(connection, now, (links or SurveyLinks).time_zone),
        "customer_id": order.customer_id,
        "channel": "",
        "address": "",
        "nonce": new_nonce(),
        "status": ReturnVisitStatus.SKIPPED.value if skip else ReturnVisitStatus.SCHEDULED.value,
        "reason": skip,
        "work_order_id": order.id,
        "team_id": order.team_id,
        "agent_id": order.assignee_id or order.owner_id,
        "touchpoint": order.channel,
        "context": {"order_type": order.type, "recovery": "1" if recovery else ""},
        "progress": None,
        "send_at": send_at,
        "created_at": now,
        "expires_at": send_at + timedelta(days=_EXPIRES_DAYS),
    }
    invitation_id = _insert_id(connection, _INV, row)
    if not skip and delay == 0 and links and unit is not None:
        since = now - timedelta(days=links.return_visit_recontact_days)
        recipients = _recipients(connection, [order.customer_id], since)
        _issue(unit, links, connection, {**row, "id": invitation_id}, recipients, now)


def cancel_return_visits(session: Session, order_id: int) -> None:
    """On reopening: the order's unanswered return visit is cancelled (410 on its link)."""
    session.connection().execute(
        update(_INV)
        .where(_INV.c.work_order_id == order_id, _INV.c.status.in_(_OPEN))
        .values(status=InvitationStatus.CANCELLED.value, reason="reopened", send_at=None)
    )


@dataclass(frozen=True, slots=True)
class _Recipients:
    """What issuing needs to know of the customers of a round's invitations, read once:
    each one's (channel, address), who opted out, who answered a return visit lately."""

    addresses: dict[int, tuple[str, str]]
    opted_out: frozenset[int]
    answered_since: frozenset[int]


def _recipients(
    connection: Connection, customer_ids: Iterable[int], since: datetime
) -> _Recipients:
    """The customers' first e-mail identity, else their first phone (by SMS); those who
    opted out; those who answered a return visit (any month's wave) since ``since``."""
    ids = sorted(set(customer_ids))
    identities = connection.execute(
        select(CustomerIdentity.customer_id, CustomerIdentity.kind, CustomerIdentity.value)
        .where(
            CustomerIdentity.customer_id.in_(ids),
            CustomerIdentity.kind.in_([IdentityKind.EMAIL.value, IdentityKind.PHONE.value]),
        )
        .order_by(CustomerIdentity.id)
    ).all()
    addresses: dict[int, tuple[str, str]] = {}
    for kind, channel in ((IdentityKind.EMAIL, Channel.EMAIL), (IdentityKind.PHONE, Channel.SMS)):
        for customer_id, found_kind, value in identities:
            if found_kind == kind.value:
                addresses.setdefault(int(customer_id), (channel.value, value))
    opted_out = connection.scalars(
        select(SurveyOptOut.customer_id).where(SurveyOptOut.customer_id.in_(ids))
    )
    answered = connection.scalars(
        select(SurveyResponse.customer_id)
        .join(_WAVES, _WAVES.c.id == SurveyResponse.wave_id)
        .where(
            SurveyResponse.customer_id.in_(ids),
            SurveyResponse.submitted_at >= since,
            _WAVES.c.return_visit_month.is_not(None),
        )
        .distinct()
    )
    return _Recipients(
        addresses=addresses,
        opted_out=frozenset(int(c) for c in opted_out),
        answered_since=frozenset(c for c in answered if c is not None),
    )


def _issue(
    unit: WriteUnit,
    links: SurveyLinks,
    connection: Connection,
    inv: Mapping[str, Any],
    recipients: _Recipients,
    now: datetime,
) -> None:
    """Issue the scheduled return visit ``inv`` (its row): skip it with a reason, or send
    it by e-mail or SMS."""
    invitation_id = int(inv["id"])
    customer_id = int(inv["customer_id"])
    channel, address = recipients.addresses.get(customer_id, ("", ""))
    reason = ""
    if customer_id in recipients.opted_out:
        reason = "opted_out"
    elif not inv["context"].get("recovery") and customer_id in recipients.answered_since:
        reason = "throttled"
    elif not channel:
        reason = "no_address"
    values: dict[str, Any] = {"send_at": None, "reason": reason}
    if reason:
        values["status"] = ReturnVisitStatus.SKIPPED.value
    else:
        values.update(
            status=InvitationStatus.SENT.value,
            channel=channel,
            address=address,
            created_at=now,
            expires_at=now + timedelta(days=_EXPIRES_DAYS),
        )
    connection.execute(update(_INV).where(_INV.c.id == invitation_id).values(values))
    if not reason:
        queue_invitation_message(
            unit,
            links,
            int(inv["wave_id"]),
            invitation_id,
            str(inv["nonce"]),
            channel,
            address,
            connection,
        )


def issue_due_return_visits(
    session: Session,
    links: SurveyLinks,
    *,
    now: datetime,
    after_commit: AfterCommit | None = None,
    limit: int = 1000,
) -> int:
    """The desk clock's part: issue the scheduled return visits now due (at most
    ``limit`` a round, one write); returns how many were handled."""
    due = list(
        session.scalars(
            select(SurveyInvitation.id)
            .where(
                SurveyInvitation.status == ReturnVisitStatus.SCHEDULED.value,
                SurveyInvitation.send_at <= now,
            )
            .order_by(SurveyInvitation.send_at)
            .limit(limit)
        )
    )
    session.rollback()
    if not due:
        return 0
    with write(
        session, Actor.system(), "survey.return_visit.issue", now=now, after_commit=after_commit
    ) as unit:
        connection = session.connection()
        # Those still scheduled (a reopening may have cancelled one since), in one read.
        rows = connection.execute(
            select(_INV).where(
                _INV.c.id.in_(due), _INV.c.status == ReturnVisitStatus.SCHEDULED.value
            )
        ).mappings()
        still = {int(inv["id"]): dict(inv) for inv in rows}
        since = now - timedelta(days=links.return_visit_recontact_days)
        recipients = _recipients(connection, (inv["customer_id"] for inv in still.values()), since)
        for invitation_id in due:
            if invitation_id in still:
                _issue(unit, links, connection, still[invitation_id], recipients, now)
        unit.audit("survey_invitation", "return_visits", before=None, after={"issued": due})
    return len(due)


def record_phone_answer(
    session: Session,
    unit: WriteUnit,
    order: WorkOrder,
    answers: Mapping[str, Any],
    now: datetime,
    zone: str = DESK_TIME_ZONE,
) -> int:
    """A return visit made by phone (回访 by call) stored as a response of the month's
    return-visit wave, channel ``phone``, with the order's agent and team: it answers the
    order's pending return-visit invitation, if any, and a detractor's answer opens its
    recovery order as a mailed one does. Runs inside the order's own write; returns the
    response's id."""
    with session.no_autoflush:
        connection = session.connection()
        wave_id = month_wave_id(connection, now, zone)
        survey_id, version, definition = connection.execute(
            select(_WAVES.c.survey_id, _WAVES.c.survey_version, _VERSIONS.c.definition)
            .join(
                _VERSIONS,
                (_VERSIONS.c.survey_id == _WAVES.c.survey_id)
                & (_VERSIONS.c.version == _WAVES.c.survey_version),
            )
            .where(_WAVES.c.id == wave_id)
        ).one()
        kept = check_answers(
            definition_for(definition), dict(answers), {"order_type": order.type}, partial=True
        )
        pending = connection.execute(
            select(_INV.c.id)
            .where(_INV.c.work_order_id == order.id, _INV.c.status.in_(_OPEN))
            .order_by(_INV.c.id.desc())
            .limit(1)
        ).scalar()
        response_id = _insert_id(
            connection,
            _RESPONSES,
            {
                "wave_id": wave_id,
                "invitation_id": pending,
                "survey_version": version,
                "customer_id": order.customer_id,
                "channel": Channel.PHONE.value,
                "work_order_id": order.id,
                "touchpoint": order.channel,
                "agent_id": order.assignee_id or order.owner_id,
                "team_id": order.team_id,
                "answers": kept,
                **headline_scores(kept),
                "segments": {},
                "submitted_at": now,
            },
        )
        if pending is not None:
            connection.execute(
                update(_INV)
                .where(_INV.c.id == pending)
                .values(
                    status=InvitationStatus.COMPLETED.value,
                    send_at=None,
                    progress=None,
                    # A return visit called before its mail went out was made by phone.
                    channel=case((_INV.c.channel == "", Channel.PHONE.value), else_=_INV.c.channel),
                )
            )
        open_recovery(
            session,
            unit,
            response_id=response_id,
            survey_id=int(survey_id),
            surveyed=order,
            wave_owner_id=None,
            customer_id=order.customer_id,
            answers=kept,
            now=now,
        )
    return response_id
