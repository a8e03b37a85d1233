"""An order write sends the order's changed columns in one UPDATE of its own that checks
and bumps the version (``work_orders._save_order``), instead of the ORM's flush. It must
keep the flush's guarantees: another write that moved the version between this write's
read and its UPDATE makes it a conflict with nothing written; a column another writer
changed without a version bump (the sweep's memory columns) is not put back; the order
is left clean in the session, so no later flush sends it again.

Given the caller's version, the write takes SQLite's writer lock only at that UPDATE,
after its reads (``base.write``'s ``lock_at_first_write``); without one, before them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.orm import Session

from tests.services.support import customer, order, people
from tests.storage.support import T0, Database
from touchpoint.domain.errors import DomainError
from touchpoint.domain.work_orders import Priority, WorkOrderStatus
from touchpoint.services import base
from touchpoint.services import work_orders as svc
from touchpoint.services.base import Actor, WouldWait, not_waiting
from touchpoint.services.errors import ConflictError
from touchpoint.storage.models import AuditEntry, Team, WorkOrder


@contextmanager
def _between_read_and_update(db: Database, sql: str) -> Iterator[list[int]]:
    """Run ``sql`` (``:id`` the order) from another connection, committed, while the next
    write is between reading its order and sending its UPDATE (as it sets the SLA cache)."""
    real: Callable[..., Any] = svc.refresh_sla_cache
    done: list[int] = []

    def refresh(*args: Any, **kwargs: Any) -> Any:
        if not done:
            order_id = pending[0]
            with db.engine.connect() as other:  # not a service write: no writer lock
                other.execute(text(sql), {"id": order_id})
                other.commit()
            done.append(order_id)
        return real(*args, **kwargs)

    pending: list[int] = []
    svc.refresh_sla_cache = refresh
    try:
        yield pending
    finally:
        svc.refresh_sla_cache = real


def _opened(db: Database, s: Session) -> tuple[Actor, WorkOrder]:
    _sup, agent, _ = people(db, s)
    return agent, order(s, agent, customer(db, s, agent)).order


def _audits(s: Session, order_id: int) -> int:
    return s.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity == "work_order", AuditEntry.entity_id == str(order_id))
    )


def test_a_version_moved_after_the_read_is_a_conflict(db: Database, session: Session) -> None:
    agent, o = _opened(db, session)
    audits = _audits(session, o.id)
    bump = "UPDATE work_orders SET version = version + 1, subject = 'theirs' WHERE id = :id"
    with _between_read_and_update(db, bump) as pending, pytest.raises(ConflictError):
        pending.append(o.id)
        svc.update_work_order(
            session,
            agent,
            o.id,
            svc.WorkOrderChanges(priority=Priority.HIGH, subject="mine"),
            version=o.version,
            now=T0,
        )
    with db.factory() as fresh:
        stored = fresh.get(WorkOrder, o.id)
        assert stored is not None
        assert (stored.subject, stored.priority, stored.version) == ("theirs", "normal", 2)
        assert _audits(fresh, o.id) == audits  # nothing of the write was kept


def test_columns_it_did_not_change_are_not_put_back(db: Database, session: Session) -> None:
    agent, o = _opened(db, session)
    sweep = "UPDATE work_orders SET sla_steps_taken = 5 WHERE id = :id"  # no version bump
    with _between_read_and_update(db, sweep) as pending:
        pending.append(o.id)
        done = svc.update_work_order(
            session,
            agent,
            o.id,
            svc.WorkOrderChanges(priority=Priority.HIGH),
            version=o.version,
            now=T0,
        )
    assert done.order.version == o.version == 2
    with db.factory() as fresh:
        stored = fresh.get(WorkOrder, o.id)
        assert stored is not None
        assert (stored.priority, stored.sla_steps_taken, stored.version) == ("high", 5, 2)


def test_the_order_is_left_clean(db: Database, session: Session) -> None:
    agent, o = _opened(db, session)
    done = svc.update_work_order(
        session, agent, o.id, svc.WorkOrderChanges(subject="Changed"), version=1, now=T0
    )
    assert done.order in session and not session.dirty
    session.flush()  # sends nothing: the version stays where the write left it
    session.commit()
    with db.factory() as fresh:
        stored = fresh.get(WorkOrder, o.id)
        assert stored is not None
        assert (stored.subject, stored.version) == ("Changed", 2)
    # A second write on the same object goes from there.
    again = svc.update_work_order(
        session, agent, o.id, svc.WorkOrderChanges(priority=Priority.HIGH), version=2, now=T0
    )
    assert (again.order.version, again.order.subject, again.order.priority) == (
        3,
        "Changed",
        "high",
    )


def test_written_orders_are_whole_persistent_objects(db: Database, session: Session) -> None:
    """The objects opening and editing give back are built from the row (``as_loaded``):
    every column loaded (a missing one would cost a query when read), persistent in the
    session, unmodified, and the one object the session holds for the order."""
    agent, opened = _opened(db, session)
    edited = svc.update_work_order(
        session, agent, opened.id, svc.WorkOrderChanges(priority=Priority.HIGH), version=1, now=T0
    ).order
    assert edited is opened  # the session's object, given the row read by the write
    for obj in (opened, edited):
        state = inspect(obj)
        assert state.persistent and not state.unloaded and not state.modified
    assert session.get(WorkOrder, opened.id) is opened
    assert (opened.priority, opened.version) == ("high", 2)


def test_one_write_moves_the_version_once(db: Database, session: Session) -> None:
    """The same values at a later instant still change ``updated_at``: one UPDATE, one
    version. At the order's own instant nothing changes, and no UPDATE is sent (as by
    the ORM's flush): the version stays."""
    agent, o = _opened(db, session)
    same = svc.WorkOrderChanges(subject=o.subject)
    unchanged = svc.update_work_order(session, agent, o.id, same, version=1, now=T0)
    assert unchanged.order.version == 1
    later = svc.update_work_order(
        session, agent, o.id, same, version=1, now=T0 + timedelta(minutes=1)
    )
    assert later.order.version == 2
    with db.factory() as fresh:
        stored = fresh.get(WorkOrder, o.id)
        assert stored is not None and stored.version == 2


def test_a_no_change_write_still_checks_its_version(db: Database, session: Session) -> None:
    """At the order's own instant nothing changes, but the version read is checked all
    the same: another write moved it after the read, so this one is a conflict."""
    agent, o = _opened(db, session)
    audits = _audits(session, o.id)
    bump = "UPDATE work_orders SET version = version + 1 WHERE id = :id"
    same = svc.WorkOrderChanges(subject=o.subject)
    with _between_read_and_update(db, bump) as pending, pytest.raises(ConflictError):
        pending.append(o.id)
        svc.update_work_order(session, agent, o.id, same, version=1, now=T0)
    with db.factory() as fresh:
        assert _audits(fresh, o.id) == audits


def _lock_held_at_the_update(db: Database, session: Session, write: Callable[[], Any]) -> bool:
    """Whether this process holds the file's writer lock while ``write`` is between
    reading its order and sending its UPDATE."""
    seen: list[bool] = []
    real: Callable[..., Any] = svc.refresh_sla_cache

    def refresh(*args: Any, **kwargs: Any) -> Any:
        lock = base._writer_lock(session)
        assert isinstance(lock, base._FileWriterLock)
        seen.append(lock._thread_lock.locked())
        return real(*args, **kwargs)

    svc.refresh_sla_cache = refresh
    try:
        write()
    finally:
        svc.refresh_sla_cache = real
    assert len(seen) == 1
    return seen[0]


def test_a_versioned_write_takes_the_writer_lock_after_its_reads(
    db: Database, session: Session
) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the file")
    agent, o = _opened(db, session)
    assert not _lock_held_at_the_update(
        db,
        session,
        lambda: svc.update_work_order(
            session, agent, o.id, svc.WorkOrderChanges(priority=Priority.HIGH), version=1, now=T0
        ),
    )
    kind = svc.MessageKind.INTERNAL_NOTE
    assert _lock_held_at_the_update(  # no version to check: locked before the reads
        db, session, lambda: svc.reply(session, agent, o.id, kind, "note", now=T0)
    )
    lock = base._writer_lock(session)
    assert isinstance(lock, base._FileWriterLock) and not lock._thread_lock.locked()
    with db.factory() as fresh:
        stored = fresh.get(WorkOrder, o.id)
        assert stored is not None and (stored.priority, stored.version) == ("high", 2)


def test_reads_hold_no_sqlite_transaction(db: Database, session: Session) -> None:
    """What reading before the writer lock rests on: pysqlite reads outside a
    transaction and begins one only before the first INSERT, UPDATE or DELETE. Were a
    read to begin one, its snapshot could be older than another process's commit, and
    the write after it would fail (SQLITE_BUSY_SNAPSHOT) instead of checking the version."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's transactions")
    _agent, o = _opened(db, session)
    session.commit()
    driver = session.connection().connection.driver_connection
    assert driver is not None
    session.execute(select(WorkOrder.version).where(WorkOrder.id == o.id)).one()
    assert not driver.in_transaction
    session.execute(text("UPDATE work_orders SET version = version WHERE id = :id"), {"id": o.id})
    assert driver.in_transaction
    session.rollback()


def test_a_lock_not_had_at_the_first_write_leaves_nothing_written(
    db: Database, session: Session
) -> None:
    """Another writer holds the file: the write, run where it must not wait, stops at
    its first write with nothing written (to be run again where it may wait)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the file")
    agent, o = _opened(db, session)
    audits = _audits(session, o.id)
    lock = base._writer_lock(session)
    assert isinstance(lock, base._FileWriterLock)
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
    with db.factory() as fresh:
        stored = fresh.get(WorkOrder, o.id)
        assert stored is not None and (stored.priority, stored.version) == ("normal", 1)
        assert _audits(fresh, o.id) == audits
    done = svc.update_work_order(  # and runs once the lock is free
        session, agent, o.id, svc.WorkOrderChanges(priority=Priority.HIGH), version=1, now=T0
    )
    assert done.order.version == 2


def _kinds(sent: list[str]) -> list[str]:
    """Each statement as its verb and table, e.g. ``INSERT work_orders``."""
    kinds = []
    for sql in sent:
        found = re.match(r"(SELECT) (\w+)\.|(INSERT) INTO (\w+)|(UPDATE) (\w+)", sql)
        assert found is not None, sql
        kinds.append(" ".join(part for part in found.groups() if part))
    return kinds


def test_an_order_s_statements_go_to_the_driver_directly(
    db: Database, session: Session, sent_direct: list[str]
) -> None:
    """Opening and editing an order send their first read, their INSERTs, the order's
    UPDATE and the audit rows to SQLite's cursor (``storage.direct``): every value given,
    nothing for Core to fill in or expand. A column default the services stopped giving,
    or a read that Core must expand, would send them back to Core unnoticed without
    this."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("direct statements are SQLite's")
    agent, o = _opened(db, session)
    sent_direct.clear()
    order(session, agent, o.customer_id)
    assert _kinds(sent_direct) == [
        "SELECT customers",  # the customer (first column), its team, webhooks, SLA policies
        "INSERT work_orders",
        "INSERT work_order_events",
        "INSERT audit_log",
    ]
    sent_direct.clear()
    changes = svc.WorkOrderChanges(priority=Priority.HIGH)
    svc.update_work_order(session, agent, o.id, changes, version=o.version, now=T0)
    # The order with its policy, timeline and the webhooks; its UPDATE; the audit row.
    assert _kinds(sent_direct) == ["SELECT work_orders", "UPDATE work_orders", "INSERT audit_log"]


@contextmanager
def _order_updates(db: Database) -> Iterator[list[str]]:
    """The UPDATEs of work_orders sent from here on (by the ORM, Core or the driver)."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.lstrip().upper().startswith("UPDATE WORK_ORDERS"):
            sent.append(sql)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_edit_assign_transition_and_reply_update_the_order_once(
    db: Database, session: Session
) -> None:
    """A lookup in the middle of a write (the team named, the event's check against the
    order's last one) must not flush the order half-done (an ORM UPDATE before the
    write's own): one UPDATE per write, and the version moves by exactly one."""
    agent, o = _opened(db, session)
    team = Team(name=db.unique("team "))
    session.add(team)
    session.commit()
    steps: list[Callable[[int], svc.WorkOrderDetail]] = [
        lambda v: svc.update_work_order(  # the team is looked up after a change
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
        with _order_updates(db) as updates:
            done = step(version)
        assert len(updates) == 1
        assert done.order.version == version + 1
        version = done.order.version
    with db.factory() as fresh:
        stored = fresh.get(WorkOrder, o.id)
        assert stored is not None
        assert (stored.status, stored.version) == ("in_progress", version)


def test_an_event_before_the_order_s_last_is_refused(db: Database, session: Session) -> None:
    """With the timeline its write loaded or with the last event queried, and counting
    an event added in the same write and not yet flushed."""
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
