"""Every change to a work order checks and moves its version in one place: one version
per write, a stale version is a conflict with nothing written, appends (replies, notes)
never conflict, and concurrent writers lose no update, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from tests.services.support import customer, order, people
from tests.storage.support import T0, Database
from touchpoint.domain.errors import DomainError
from touchpoint.domain.recovery import RecoveryStep
from touchpoint.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType
from touchpoint.services import work_orders as svc
from touchpoint.services.base import Actor, WouldWait, not_waiting
from touchpoint.services.errors import ConflictError
from touchpoint.services.recovery import RecoveryDraft, record_recovery
from touchpoint.storage.models import AuditEntry, Team, WorkOrder, WorkOrderEvent
from touchpoint.storage.writer_lock import writer_lock


def _opened(db: Database, s: Session) -> tuple[Actor, WorkOrder]:
    _sup, agent, _ = people(db, s)
    return agent, order(s, agent, customer(db, s, agent)).order


def _audits(s: Session, order_id: int) -> int:
    return s.execute(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity == "work_order", AuditEntry.entity_id == str(order_id))
    ).scalar_one()


def _events(s: Session, order_id: int) -> int:
    return s.execute(
        select(func.count())
        .select_from(WorkOrderEvent)
        .where(WorkOrderEvent.work_order_id == order_id)
    ).scalar_one()


def _stored(db: Database, order_id: int) -> WorkOrder:
    with db.factory() as fresh:
        stored = fresh.get(WorkOrder, order_id)
        assert stored is not None
        fresh.expunge(stored)
        return stored


def test_edit_assign_transition_and_reply_move_the_version_by_one(
    db: Database, session: Session
) -> None:
    """A lookup in the middle of a write (the team named, the event's check against the
    order's last one) must not save the order half-done: one version per write, and one
    audit row."""
    agent, o = _opened(db, session)
    team = Team(name=db.unique("team "))
    session.add(team)
    session.commit()
    steps: list[Callable[[int], svc.WorkOrderDetail]] = [
        lambda v: svc.update_work_order(
            session,
            agent,
            o.id,
            svc.WorkOrderChanges(priority=Priority.HIGH, team_id=team.id),
            version=v,
            now=T0,
        ),
        lambda v: svc.assign_work_order(
            session, agent, o.id, agent.user_id or 0, version=v, now=T0 + timedelta(minutes=1)
        ),
        lambda v: svc.transition_work_order(
            session,
            agent,
            o.id,
            WorkOrderStatus.IN_PROGRESS,
            version=v,
            now=T0 + timedelta(minutes=2),
        ),
        lambda v: svc.reply(
            session,
            agent,
            o.id,
            svc.MessageKind.AGENT_REPLY,
            "On our way",
            version=v,
            now=T0 + timedelta(minutes=3),
        ),
    ]
    version = o.version
    for step in steps:
        audits = _audits(session, o.id)
        done = step(version)
        assert done.order.version == version + 1
        assert _audits(session, o.id) == audits + 1
        version = done.order.version
        assert _stored(db, o.id).version == version
    stored = _stored(db, o.id)
    assert (stored.status, stored.priority, stored.team_id) == ("in_progress", "high", team.id)


def test_a_stale_version_is_a_conflict_and_nothing_is_written(
    db: Database, session: Session
) -> None:
    agent, o = _opened(db, session)
    first = svc.update_work_order(
        session, agent, o.id, svc.WorkOrderChanges(subject="theirs"), version=1, now=T0
    )
    assert first.order.version == 2
    audits, events = _audits(session, o.id), _events(session, o.id)
    later = T0 + timedelta(minutes=5)
    stale: list[Callable[[], object]] = [
        lambda: svc.update_work_order(
            session, agent, o.id, svc.WorkOrderChanges(subject="mine"), version=1, now=later
        ),
        lambda: svc.transition_work_order(
            session, agent, o.id, WorkOrderStatus.IN_PROGRESS, version=1, now=later
        ),
        lambda: svc.assign_work_order(
            session, agent, o.id, agent.user_id or 0, version=1, now=later
        ),
    ]
    for write in stale:
        with pytest.raises(ConflictError, match=r"version 1 is stale, current is 2"):
            write()
    stored = _stored(db, o.id)
    assert (stored.subject, stored.status, stored.version) == ("theirs", "new", 2)
    assert (_audits(session, o.id), _events(session, o.id)) == (audits, events)


def test_appends_never_conflict(db: Database, session: Session) -> None:
    """Two agents adding a reply and a note on the order they both read: both land."""
    agent, o = _opened(db, session)
    read_version = o.version
    svc.update_work_order(
        session, agent, o.id, svc.WorkOrderChanges(subject="edited"), version=1, now=T0
    )
    for n, kind in enumerate((svc.MessageKind.AGENT_REPLY, svc.MessageKind.INTERNAL_NOTE)):
        done = svc.reply(
            session,
            agent,
            o.id,
            kind,
            f"written on version {read_version}",
            version=read_version,
            now=T0 + timedelta(minutes=n + 1),
        )
        assert done.order.version == 3 + n
    bodies = session.scalars(
        select(WorkOrderEvent.body).where(WorkOrderEvent.work_order_id == o.id)
    ).all()
    assert bodies.count(f"written on version {read_version}") == 2


def test_the_order_is_left_clean(db: Database, session: Session) -> None:
    agent, o = _opened(db, session)
    done = svc.update_work_order(
        session, agent, o.id, svc.WorkOrderChanges(subject="Changed"), version=1, now=T0
    )
    assert done.order in session and not session.dirty
    assert not inspect(done.order).modified
    session.flush()  # sends nothing: the version stays where the write left it
    session.commit()
    assert (_stored(db, o.id).subject, _stored(db, o.id).version) == ("Changed", 2)
    again = svc.update_work_order(
        session, agent, o.id, svc.WorkOrderChanges(priority=Priority.HIGH), version=2, now=T0
    )
    assert (again.order.version, again.order.subject, again.order.priority) == (
        3,
        "Changed",
        "high",
    )


def test_a_write_that_changes_nothing_keeps_the_version(db: Database, session: Session) -> None:
    """At the order's own instant the same values change nothing: the version stays;
    at a later instant ``updated_at`` moves, and so does the version, once."""
    agent, o = _opened(db, session)
    same = svc.WorkOrderChanges(subject=o.subject)
    assert svc.update_work_order(session, agent, o.id, same, version=1, now=T0).order.version == 1
    later = T0 + timedelta(minutes=1)
    assert (
        svc.update_work_order(session, agent, o.id, same, version=1, now=later).order.version == 2
    )
    assert _stored(db, o.id).version == 2


def _edit_until_it_lands(db: Database, agent: Actor, order_id: int, tag: str) -> int:
    """Read the order, add ``tag`` to its description and save with the version read;
    on a conflict read again (what a user does on 409). The conflicts met."""
    conflicts = 0
    while True:
        with db.factory() as s:
            current = s.get(WorkOrder, order_id)
            assert current is not None
            version, description = current.version, current.description
            s.rollback()
            try:
                svc.update_work_order(
                    s,
                    agent,
                    order_id,
                    svc.WorkOrderChanges(description=f"{description} {tag}".strip()),
                    version=version,
                    now=T0,
                )
                return conflicts
            except ConflictError:
                conflicts += 1


def test_concurrent_writers_lose_no_update(db: Database, session: Session) -> None:
    agent, o = _opened(db, session)
    session.commit()
    tags = [f"w{w}-{n}" for w in range(4) for n in range(8)]
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            for tag in tags[worker * 8 : (worker + 1) * 8]:
                _edit_until_it_lands(db, agent, o.id, tag)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    stored = _stored(db, o.id)
    assert sorted(stored.description.split()) == sorted(tags)  # every edit kept
    assert stored.version == 1 + len(tags)  # each landed once, one version each
    with db.factory() as s:
        assert _audits(s, o.id) == 1 + len(tags)


def test_concurrent_appends_all_land(db: Database, session: Session) -> None:
    agent, o = _opened(db, session)
    session.commit()
    events = _events(session, o.id)
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            for n in range(6):
                with db.factory() as s:
                    svc.reply(
                        s,
                        agent,
                        o.id,
                        svc.MessageKind.INTERNAL_NOTE,
                        f"w{worker}-{n}",
                        version=1,  # everyone read version 1
                        now=T0 + timedelta(minutes=1),
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with db.factory() as s:
        assert _events(s, o.id) == events + 18
    # The notes are events; of the order only ``updated_at`` moved, once (same instant).
    assert _stored(db, o.id).version == 2


def test_a_write_that_must_not_wait_leaves_nothing_written(db: Database, session: Session) -> None:
    """Another writer holds the SQLite file: the write, run where it must not wait (on
    an event loop), gives way with nothing written, and runs once the lock is free."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the file")
    agent, o = _opened(db, session)
    audits = _audits(session, o.id)
    lock = writer_lock(db.engine)
    lock.acquire()
    try:
        with not_waiting(), pytest.raises(WouldWait):
            svc.update_work_order(
                session,
                agent,
                o.id,
                svc.WorkOrderChanges(priority=Priority.HIGH),
                version=1,
                now=T0,
            )
    finally:
        lock.release()
    stored = _stored(db, o.id)
    assert (stored.priority, stored.version) == ("normal", 1)
    assert _audits(session, o.id) == audits
    done = svc.update_work_order(
        session, agent, o.id, svc.WorkOrderChanges(priority=Priority.HIGH), version=1, now=T0
    )
    assert done.order.version == 2


def test_an_event_before_the_order_s_last_is_refused(db: Database, session: Session) -> None:
    """With the timeline its write loaded or with the last event queried, and counting
    an event added in the same write and not yet saved."""
    agent, o = _opened(db, session)
    later = T0 + timedelta(hours=1)
    svc.reply(session, agent, o.id, svc.MessageKind.INTERNAL_NOTE, "note", now=later)
    audits = _audits(session, o.id)
    with pytest.raises(DomainError, match=r"is before the order's last event"):
        svc.reply(session, agent, o.id, svc.MessageKind.INTERNAL_NOTE, "late", now=T0)
    assert _audits(session, o.id) == audits
    order_row = session.get(WorkOrder, o.id)
    assert order_row is not None
    with pytest.raises(DomainError, match=r"is before the order's last event"):
        svc.add_event(session, order_row, "internal_note", at=T0, actor_id=None)
    session.rollback()
    pending = svc.add_event(
        session, order_row, "internal_note", at=later + timedelta(minutes=5), actor_id=None
    )
    assert inspect(pending).pending
    with pytest.raises(DomainError, match=r"is before the order's last event"):
        svc.add_event(session, order_row, "internal_note", at=later, actor_id=None)
    session.rollback()


def test_a_recovery_moves_the_complaint_s_version_by_one(db: Database, session: Session) -> None:
    """A recovery with a notice (a reply on the timeline) saves its order once, as every
    other change to an order does."""
    _sup, agent, _ = people(db, session)
    o = order(session, agent, customer(db, session, agent), type=WorkOrderType.COMPLAINT).order
    version, events = o.version, _events(session, o.id)
    draft = RecoveryDraft(step=RecoveryStep.INVESTIGATE, notice="We are looking into it")
    record_recovery(session, agent, o.id, draft, now=T0 + timedelta(minutes=1))
    assert (_stored(db, o.id).version, _events(session, o.id)) == (version + 1, events + 1)
