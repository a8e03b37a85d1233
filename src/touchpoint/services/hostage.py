"""The hostage rule at work (``domain.hostage``): customers who answered a survey since
the rule last looked at them are judged again by the desk clock, the flag set or cleared
by the rule with its inputs kept; a supervisor may clear a flag with a note (audited).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from touchpoint.domain.errors import empty_field
from touchpoint.domain.hostage import PATRONAGE_KINDS, WINDOW_DAYS, HostageBasis, base_median
from touchpoint.services.base import Actor, get_or_404, require, write
from touchpoint.storage.models import Customer, Transaction
from touchpoint.storage.survey_models import SurveyResponse

__all__ = ["clear_hostage", "refresh_hostage_flags"]

_CUSTOMERS = Customer.metadata.tables[Customer.__tablename__]
#: A customer judged again: the flag, the rule's inputs and the last response it saw.
_JUDGED = (
    update(_CUSTOMERS)
    .where(_CUSTOMERS.c.id == bindparam("cid"))
    .values(
        hostage=bindparam("flag"),
        hostage_basis=bindparam("basis", type_=_CUSTOMERS.c.hostage_basis.type),
        hostage_checked_response_id=bindparam("last"),
    )
)


def _patronage(session: Session, since: datetime, customer_ids: list[int] | None) -> dict[int, int]:
    """Patronage entries per customer since ``since`` (every customer with any, or the
    given ones)."""
    query = (
        select(Transaction.customer_id, func.count())
        .where(Transaction.kind.in_(PATRONAGE_KINDS), Transaction.at >= since)
        .group_by(Transaction.customer_id)
    )
    if customer_ids is not None:
        query = query.where(Transaction.customer_id.in_(customer_ids))
    return {int(cid): int(n) for cid, n in session.execute(query)}


def _latest_scores(session: Session, customer_ids: list[int]) -> dict[int, tuple[Any, Any, int]]:
    """Per customer: the NPS and CSAT of their latest answer giving either, and the id of
    their latest response of any kind."""
    rows = session.execute(
        select(SurveyResponse.customer_id, SurveyResponse.id, SurveyResponse.answers)
        .where(SurveyResponse.customer_id.in_(customer_ids))
        .order_by(SurveyResponse.customer_id, SurveyResponse.id.desc())
    )
    found: dict[int, tuple[Any, Any, int]] = {}
    for customer_id, rid, answers in rows:
        if customer_id is None:
            continue
        cid = int(customer_id)
        if cid not in found:
            found[cid] = (None, None, rid)
        nps, csat, last = found[cid]
        if nps is None and csat is None and ("NPS" in answers or "CSAT" in answers):
            found[cid] = (answers.get("NPS"), answers.get("CSAT"), last)
    return found


def refresh_hostage_flags(session: Session, *, now: datetime, limit: int = 1000) -> int:
    """Judge again (as the desk) up to ``limit`` customers with survey answers the rule has
    not seen; returns how many. One audited write for the round."""
    pending = [
        int(cid)
        for cid in session.scalars(
            select(SurveyResponse.customer_id)
            .join(Customer, Customer.id == SurveyResponse.customer_id)
            .where(
                SurveyResponse.id > Customer.hostage_checked_response_id,
                Customer.merged_into_id.is_(None),
            )
            .distinct()
            .limit(limit)
        )
        if cid is not None
    ]
    if not pending:
        session.rollback()
        return 0
    since = now - timedelta(days=WINDOW_DAYS)
    median = base_median(list(_patronage(session, since, None).values()))
    counts = _patronage(session, since, pending)
    scores = _latest_scores(session, pending)
    session.rollback()  # the reads' transaction; the flags are one write
    flagged = []
    judged = []
    for cid in pending:
        nps, csat, last = scores[cid]
        basis = HostageBasis(counts.get(cid, 0), median, nps, csat, now)
        if basis.hostage:
            flagged.append(cid)
        judged.append({"cid": cid, "flag": basis.hostage, "basis": basis.as_json(), "last": last})
    with write(session, Actor.system(), "customer.hostage_rule", now=now) as unit:
        # One statement for the round, its rows sent together (executemany).
        session.connection().execute(_JUDGED, judged)
        unit.audit(
            "customer",
            "hostage_rule",
            before=None,
            after={"judged": pending, "flagged": flagged, "base_median": median},
        )
    return len(pending)


def clear_hostage(
    session: Session, actor: Actor, customer_id: int, *, note: str, now: datetime
) -> Customer:
    """A supervisor clears the hostage flag, saying why; the rule flags the customer again
    only on a later answer."""
    require(actor, actor.role.can_supervise, "clear the hostage flag")
    if not note.strip():
        raise empty_field("note")
    with write(session, actor, "customer.hostage_clear", now=now) as unit:
        customer = get_or_404(session, Customer, customer_id)
        before = {"hostage": customer.hostage, "hostage_note": customer.hostage_note}
        customer.hostage = False
        customer.hostage_note = note.strip()
        customer.updated_at = now
        session.flush()
        unit.audit(
            "customer",
            customer_id,
            before=before,
            after={"hostage": False, "hostage_note": customer.hostage_note},
        )
    return customer
