"""Merge/unmerge, imports, recovery, escalation sweep and the KPI board, on both databases."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.services.support import customer, order, people, policy
from tests.storage.support import T0, Database
from touchpoint.domain.contacts import Channel, TransactionKind
from touchpoint.domain.errors import RuleViolation
from touchpoint.domain.recovery import Cause5W1H, Compensation, CompensationKind, RecoveryStep
from touchpoint.domain.work_orders import WorkOrderStatus, WorkOrderType
from touchpoint.services.customers import (
    ContactDraft,
    TransactionDraft,
    add_transaction,
    customer_360,
    log_contact,
)
from touchpoint.services.errors import ForbiddenError, ImportRejected
from touchpoint.services.imports import import_customers, import_transactions
from touchpoint.services.kpi import GroupBy, kpi_board
from touchpoint.services.merge import find_merge_candidates, merge_customers, unmerge_customers
from touchpoint.services.recovery import RecoveryDraft, record_recovery
from touchpoint.services.sla_admin import escalate_due
from touchpoint.services.work_orders import MessageKind, reply, transition_work_order
from touchpoint.storage.models import (
    AuditEntry,
    Contact,
    Customer,
    CustomerIdentity,
    Transaction,
    WorkOrder,
)


def _holdings(s, cid: int) -> dict[str, set[int]]:  # type: ignore[no-untyped-def]
    return {
        "contacts": set(s.scalars(select(Contact.id).where(Contact.customer_id == cid))),
        "transactions": set(
            s.scalars(select(Transaction.id).where(Transaction.customer_id == cid))
        ),
        "orders": set(s.scalars(select(WorkOrder.id).where(WorkOrder.customer_id == cid))),
        "identities": set(
            s.scalars(select(CustomerIdentity.id).where(CustomerIdentity.customer_id == cid))
        ),
    }


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(0, 3), st.integers(0, 3), st.integers(0, 2), st.integers(0, 3), st.integers(0, 2)
)
def test_merge_then_unmerge_loses_nothing(
    db: Database,
    n_contacts_a: int,
    n_contacts_b: int,
    n_orders_b: int,
    n_tx_b: int,
    n_after: int,
) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        a = customer(db, s, agent, email=f"{db.unique('a')}@example.com")
        b = customer(db, s, agent, email=f"{db.unique('b')}@example.com")
        for cid, n in ((a, n_contacts_a), (b, n_contacts_b)):
            for _ in range(n):
                log_contact(
                    s, agent, ContactDraft(customer_id=cid, channel=Channel.COUNTER), now=T0
                )
        for _ in range(n_orders_b):
            order(s, agent, b)
        for _ in range(n_tx_b):
            add_transaction(
                s,
                agent,
                TransactionDraft(
                    customer_id=b, kind=TransactionKind.BILL, at=T0, amount_minor=1234
                ),
                now=T0,
            )
        before_a, before_b = _holdings(s, a), _holdings(s, b)
        log = merge_customers(s, sup, a, b, now=T0)
        merged_a = _holdings(s, a)
        for k in before_a:
            assert merged_a[k] == before_a[k] | before_b[k]
        assert _holdings(s, b) == {k: set() for k in before_b}
        assert s.get(Customer, b).merged_into_id == a  # type: ignore[union-attr]
        with pytest.raises(RuleViolation):
            merge_customers(s, sup, a, b, now=T0)
        later = {
            log_contact(s, agent, ContactDraft(customer_id=a, channel=Channel.APP), now=T0).id
            for _ in range(n_after)
        }
        unmerge_customers(s, sup, log.id, now=T0)
        after_a, after_b = _holdings(s, a), _holdings(s, b)
        assert after_b == before_b
        assert after_a["contacts"] == before_a["contacts"] | later
        assert {k: v for k, v in after_a.items() if k != "contacts"} == {
            k: v for k, v in before_a.items() if k != "contacts"
        }
        assert s.get(Customer, b).merged_into_id is None  # type: ignore[union-attr]
        with pytest.raises(RuleViolation):
            unmerge_customers(s, sup, log.id, now=T0)


def test_candidates_and_agents_cannot_merge(db: Database) -> None:
    with db.factory() as s:
        _sup, agent, _ = people(db, s)
        email = f"{db.unique('dup')}@example.com"
        a = customer(db, s, agent, email=email, name="Chen Jing")
        b = customer(db, s, agent, email=email.upper(), name="Chen  Jing")
        pairs = {(m.a_id, m.b_id) for m in find_merge_candidates(s, agent, customer_id=a)}
        assert (min(a, b), max(a, b)) in pairs
        with pytest.raises(ForbiddenError):
            merge_customers(s, agent, a, b, now=T0)


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_imports_are_all_or_nothing_with_a_report(db: Database) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)

        def count() -> int:
            return s.execute(select(func.count()).select_from(Customer)).scalar_one()

        before = count()
        bad = (
            b"name,customer_class,phone,email\n"
            b"Zhao Liu,key_account,13900139000,zhao@example.com\n"
            b",normal,,\n"
            b"Qian Qi,gold,139,qian@\n"
        )
        with pytest.raises(ImportRejected) as err:
            import_customers(s, sup, bad, "customers.csv", now=T0)
        problems = {(p["row"], p["column"], p["value"]) for p in err.value.problems}
        assert problems == {(3, "name", ""), (4, "customer_class", "gold"), (4, "email", "qian@")}
        assert count() == before
        with pytest.raises(ForbiddenError):
            import_customers(s, agent, bad, "customers.csv", now=T0)
        acct = db.unique("ACC-")
        good = _xlsx(
            [
                ["name", "customer_class", "account", "phone"],
                ["Zhao Liu", "key_account", acct, "13900139000"],
                ["Sun Ba", "", "", ""],
            ]
        )
        rep = import_customers(s, sup, good, "customers.xlsx", now=T0)
        assert rep.rows == 2 and count() == before + 2
        tx_bad = (
            f"account,kind,at,amount\n{acct},bill,2026-11-01T00:00:00Z,12.345\n"
            f"NOPE,bill,2026-11-01,1\n"
        ).encode()
        with pytest.raises(ImportRejected) as err:
            import_transactions(s, sup, tx_bad, "tx.csv", now=T0)
        cols = {(p["row"], p["column"]) for p in err.value.problems}
        assert cols == {(2, "amount"), (3, "account"), (3, "at")}
        tx_good = (
            f"account,kind,at,amount,currency\n{acct},payment,2026-11-01T08:00:00+08:00,88.50,cny\n"
        )
        rep = import_transactions(s, sup, tx_good.encode(), "tx.csv", now=T0)
        tx = s.get(Transaction, rep.created_ids[0])
        assert tx is not None and tx.amount_minor == 8850 and tx.currency == "CNY"
        audits = s.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("%.import"))
        ).all()
        assert audits.count("customer.import") >= 1 and "transaction.import" in audits


def test_recovery_notices_reach_the_timeline_and_contact_card(db: Database) -> None:
    with db.factory() as s:
        _sup, agent, _ = people(db, s)
        cid = customer(db, s, agent, email=f"{db.unique('r')}@example.com")
        o = order(s, agent, cid, type=WorkOrderType.COMPLAINT).order
        rec = record_recovery(
            s,
            agent,
            o.id,
            RecoveryDraft(
                step=RecoveryStep.INVESTIGATE,
                cause=Cause5W1H(
                    what="bill doubled",
                    why="meter misread",
                    who="reader",
                    where="Xinhua Rd",
                    when="Oct",
                    how="estimated reading",
                ),
                apology="We are sorry.",
                remedy="Re-read meter",
                compensation=Compensation(CompensationKind.CREDIT, 5000),
                notice="We found the cause and will correct your bill.",
            ),
            now=T0,
        )
        assert rec.compensation_minor == 5000 and rec.cause["why"] == "meter misread"
        view = customer_360(s, agent, cid, now=T0)
        assert any(c.touchpoint == "service_recovery" for c in view.contacts)
        plain = order(s, agent, cid).order
        with pytest.raises(RuleViolation, match="complaints"):
            record_recovery(s, agent, plain.id, RecoveryDraft(step=RecoveryStep.COOL_DOWN), now=T0)


def test_escalation_sweep_warns_then_breaches_once(db: Database) -> None:
    with db.factory() as s:
        sup, agent, _ = people(db, s)
        pid = policy(
            db,
            s,
            sup,
            {
                "first_response_minutes": 60,
                "next_update_minutes": None,
                "next_update_from": "customer_message",
                "resolution_minutes": 600,
            },
        )
        o = order(s, agent, customer(db, s, agent), policy_id=pid).order
        quiet = escalate_due(s, sup, now=T0 + timedelta(minutes=10))
        assert (quiet.warnings, quiet.breaches) == (0, 0)
        warn = escalate_due(s, sup, now=T0 + timedelta(minutes=50))
        assert [st["target"] for st in warn.steps if st["work_order_id"] == o.id] == [
            "first_response"
        ]
        breach = escalate_due(s, sup, now=T0 + timedelta(minutes=61))
        mine = [st for st in breach.steps if st["work_order_id"] == o.id]
        assert [(st["target"], st["level"]) for st in mine] == [("first_response", "breach")]
        s.refresh(o)
        assert o.tier == "L2" and o.sla_breached
        again = escalate_due(s, sup, now=T0 + timedelta(minutes=62))
        assert [st for st in again.steps if st["work_order_id"] == o.id] == []
        with pytest.raises(ForbiddenError):
            escalate_due(s, agent, now=T0)


def test_kpi_board_counts_business_minutes_fcr_and_hostile_load(db: Database) -> None:
    with db.factory() as s:
        sup, agent, analyst = people(db, s)
        pid = policy(
            db,
            s,
            sup,
            {
                "first_response_minutes": 30,
                "next_update_minutes": None,
                "next_update_from": "customer_message",
                "resolution_minutes": 120,
            },
        )
        start = T0 + timedelta(days=30)
        cid = customer(db, s, agent)
        quick = order(s, agent, cid, policy_id=pid, now=start).order
        reply(
            s, agent, quick.id, MessageKind.AGENT_REPLY, "done", now=start + timedelta(minutes=10)
        )
        transition_work_order(
            s,
            agent,
            quick.id,
            WorkOrderStatus.RESOLVED,
            version=quick.version,
            now=start + timedelta(minutes=20),
        )
        slow = order(s, agent, cid, policy_id=pid, type=WorkOrderType.COMPLAINT, now=start).order
        log_contact(
            s,
            agent,
            ContactDraft(
                customer_id=cid,
                channel=Channel.HOTLINE,
                hostile=True,
                work_order_id=slow.id,
                at=start + timedelta(minutes=5),
            ),
            now=start + timedelta(minutes=5),
        )
        board = kpi_board(
            s,
            analyst,
            start=start,
            end=start + timedelta(days=1),
            now=start + timedelta(hours=3),
            group_by=GroupBy.AGENT,
        )
        k = board.overall
        assert (k.orders, k.resolved, k.backlog) == (2, 1, 1)
        assert k.first_response_mean_minutes == pytest.approx(10.0)
        assert k.resolution_mean_minutes == pytest.approx(20.0)
        assert k.first_contact_resolution_rate == pytest.approx(0.5)
        assert k.complaint_rate == pytest.approx(0.5)
        assert k.sla_breaches == 2 and k.sla_opportunities == 4
        assert k.sla_compliance == pytest.approx(0.5)
        assert board.hostile[0].hostile_contacts == 1 and board.hostile[0].agent_id == agent.user_id
        with pytest.raises(ForbiddenError):
            kpi_board(s, agent, start=start, end=start + timedelta(days=1), now=start)
