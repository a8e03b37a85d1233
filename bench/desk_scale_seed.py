"""The scale seed of ``bench/desk_scale.py``: a desk of N customers and N orders.

Users, teams, calendars and SLA policies (a handful) go through the service layer;
everything else is bulk-inserted with SQLAlchemy Core ``executemany`` in batches:

- customers as ``bench/merge_candidates.py`` draws them (skewed Chinese names, pinyin
  and Latin ones, a mobile phone each, an e-mail for one in three, 2% planted
  duplicates), plus an account number for 40% of them; their blocking keys by
  ``domain.blocking.blocking_keys`` (the key index is built after the load, as that
  bench does); the fragment-search index fills itself (SQLite: the FTS5 triggers of
  revision 0006 fire on each inserted row; PostgreSQL: its trigram indexes);
- orders created over the last 365 days, each on a random customer, team and agent of
  that team, with their timeline: created, assigned, a first reply, then (open orders)
  a customer message, in-progress or waiting-on-customer move, or (older orders) a
  resolution, 70% of which are closed later. About 5% of orders are open: most of the
  last fortnight's and 1% of older ones;
- one inbound contact per order, on the order's channel, linked to it;
- the KPI board's stored facts of every order, written by the desk clock's own sweep
  (``services.kpi_facts.refresh_kpi_facts``) as a server would over its first rounds.

The orders' SLA caches (``sla_next_escalation_at``, ``sla_breached``) are computed by
``domain.sla.replay_many`` as a sweep a minute before the seed's ``now`` would have left
them; the sweep's memory (``sla_step_due_*``, ``sla_steps_taken``) is left empty, as
before the first sweep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert, text

from bench.merge_candidates import KEY_INDEX, customer_batches
from bench.sla_sweep import ALL_HOURS, OFFICE, sla_cache
from touchpoint.domain.blocking import blocking_keys
from touchpoint.domain.calendar import NEVER
from touchpoint.domain.customers import IdentityKind, normalise_identity
from touchpoint.domain.roles import Role
from touchpoint.domain.sla import NO_INSTANT, EventType, OrderStatus
from touchpoint.services.auth import TeamDraft, UserDraft, create_team, create_user
from touchpoint.services.base import Actor
from touchpoint.services.kpi_facts import refresh_kpi_facts
from touchpoint.services.sla_admin import PolicyDraft, create_calendar, create_policy
from touchpoint.storage.db import make_session_factory
from touchpoint.storage.merge_models import CustomerBlockingKey
from touchpoint.storage.models import (
    Contact,
    Customer,
    CustomerIdentity,
    WorkOrder,
    WorkOrderEvent,
)

PASSWORD = "bench-password-1"  # noqa: S105 (throwaway benchmark login)
SUPERVISOR = "scale-sup"
BATCH = 50_000
TEAMS, AGENTS_PER_TEAM = 4, 5
TYPES = ("repair", "consultation", "service_request", "complaint", "praise", "suggestion")
TYPE_P = (0.40, 0.30, 0.15, 0.10, 0.02, 0.03)
CHANNELS = ("hotline", "chat", "app", "email", "counter")
CHANNEL_P = (0.55, 0.15, 0.15, 0.10, 0.05)
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_P = (0.15, 0.65, 0.15, 0.05)
SUBJECTS = (
    "停电报修",
    "电费咨询",
    "No power since morning",
    "账单有误",
    "Meter reading",
    "表计故障",
)
POLICIES = (  # name, calendar, definition
    ("standard", "office", (240, 480, 2400)),
    ("repair 24x7", "24x7", (120, 720, 4320)),
)
_T = {t: t.code for t in EventType}
_S = {s: s.code for s in OrderStatus}
_S_TEXT = [s.value for s in OrderStatus]
_T_TEXT = [t.value for t in EventType]
DAY = 86_400


def _desk(engine: Engine, now: datetime) -> dict[str, Any]:
    """A supervisor, four teams of five agents, two calendars and two policies."""
    at0 = now - timedelta(days=400)
    system = Actor.system()
    with make_session_factory(engine)() as s:
        sup = create_user(s, system, UserDraft(SUPERVISOR, PASSWORD, Role.SUPERVISOR), now=at0)
        teams: list[tuple[int, list[int]]] = []
        for t in range(TEAMS):
            agents = [
                create_user(
                    s, system, UserDraft(f"agent-{t}-{a}", PASSWORD, Role.AGENT), now=at0
                ).id
                for a in range(AGENTS_PER_TEAM)
            ]
            draft = TeamDraft(f"team {t}", supervisor_id=sup.id, member_ids=tuple(agents))
            teams.append((create_team(s, system, draft, now=at0).id, agents))
        cals = {
            "office": create_calendar(s, system, "office", OFFICE, now=at0).id,
            "24x7": create_calendar(s, system, "24x7", ALL_HOURS, now=at0).id,
        }
        policies = []
        for i, (name, cal, (first, update, resolve)) in enumerate(POLICIES):
            definition = {
                "first_response_minutes": first,
                "next_update_minutes": update,
                "next_update_from": "customer_message",
                "resolution_minutes": resolve,
            }
            draft_p = PolicyDraft(name=name, definition=definition, calendar_id=cals[cal], rank=i)
            policies.append(create_policy(s, system, draft_p, now=at0).id)
    return {"teams": teams, "policies": policies}


def _customer_rows(
    batch: list[tuple[int, str, list[tuple[IdentityKind, str]]]], rng: random.Random, now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rows, idents, keys = [], [], []
    for cid, name, found in batch:
        mine = list(found)
        if rng.random() < 0.4:
            mine.append((IdentityKind.ACCOUNT, f"{rng.randrange(10**10):010d}"))
        rows.append(
            {"id": cid, "name": name, "preferences": {}, "created_at": now, "updated_at": now}
        )
        normalised = [(k, normalise_identity(k, v)) for k, v in mine]
        idents += [
            {"customer_id": cid, "kind": k.value, "value": v, "normalised": nv}
            for (k, v), (_, nv) in zip(mine, normalised, strict=True)
        ]
        keys += [{"customer_id": cid, "key": k} for k in blocking_keys(name, normalised)]
    return rows, idents, keys


def seed_customers(engine: Engine, n: int, now: datetime, seed_value: int) -> int:
    """Customers, identities and blocking keys; returns the number of keys."""
    rng = random.Random(seed_value)
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {KEY_INDEX}"))
    n_keys = 0
    for batch in customer_batches(n, seed_value):
        rows, idents, keys = _customer_rows(batch, rng, now - timedelta(days=400))
        with engine.begin() as conn:
            conn.execute(insert(Customer), rows)
            conn.execute(insert(CustomerIdentity), idents)
            conn.execute(insert(CustomerBlockingKey), keys)
        n_keys += len(keys)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE INDEX {KEY_INDEX} ON customer_blocking_keys (key, customer_id)"))
    return n_keys


def _timelines(rng: np.random.Generator, n: int, now_s: int) -> dict[str, np.ndarray]:
    """Event columns (order index, at, type, status code) and each order's final status."""
    # Oldest first: ids follow creation, as on a desk that took them one by one.
    age = np.sort(rng.integers(600, 365 * DAY, n))[::-1]
    is_open = np.where(age < 14 * DAY, rng.random(n) < 0.6, rng.random(n) < 0.01)
    created = now_s - age
    assigned = created + rng.integers(60, 3600, n)
    reply = assigned + rng.integers(300, 4 * 3600, n)
    fourth = reply + rng.integers(600, 3 * DAY, n)
    closed = fourth + rng.integers(DAY, 7 * DAY, n)
    pick = rng.random(n)
    t4 = np.where(is_open & (pick < 0.3), _T[EventType.CUSTOMER_MESSAGE], _T[EventType.STATUS])
    s4 = np.select(
        [~is_open, pick < 0.3, pick < 0.65],
        [_S[OrderStatus.RESOLVED], -1, _S[OrderStatus.IN_PROGRESS]],
        _S[OrderStatus.WAITING_CUSTOMER],
    )
    has_closed = ~is_open & (rng.random(n) < 0.7) & (closed < now_s - 60)

    def full(v: int) -> np.ndarray:
        return np.full(n, v)

    cols = [  # (at, type, status, which orders have it)
        (created, full(_T[EventType.CREATED]), full(_S[OrderStatus.NEW]), full(1) > 0),
        (
            assigned,
            full(_T[EventType.STATUS]),
            full(_S[OrderStatus.ASSIGNED]),
            assigned < now_s - 60,
        ),
        (reply, full(_T[EventType.AGENT_REPLY]), full(-1), reply < now_s - 60),
        (fourth, t4, s4, fourth < now_s - 60),
        (closed, full(_T[EventType.STATUS]), full(_S[OrderStatus.CLOSED]), has_closed),
    ]
    order = np.concatenate([np.flatnonzero(m) for *_, m in cols])
    at = np.concatenate([a[m] for a, _, _, m in cols])
    kind = np.concatenate([t[m] for _, t, _, m in cols])
    status = np.concatenate([st[m] for _, _, st, m in cols])
    rank = np.concatenate([np.full(int(m.sum()), i) for i, (*_, m) in enumerate(cols)])
    sort = np.lexsort((rank, order))
    order, at, kind, status = order[sort], at[sort], kind[sort], status[sort]
    last = np.maximum.accumulate(np.where(status >= 0, np.arange(len(status)), -1))
    ends = np.append(np.flatnonzero(np.diff(order)), len(order) - 1)
    resolved_at = np.where(~is_open & (fourth < now_s - 60), fourth, -1)
    return {
        "order": order,
        "at": at,
        "type": kind,
        "status": status,
        "final": status[last[ends]],
        "created": created,
        "resolved": resolved_at,
        "closed": np.where(has_closed, closed, -1),
    }


def _instant(s: int) -> datetime | None:
    return None if s < 0 or s in (NO_INSTANT, NEVER) else datetime.fromtimestamp(s, UTC)


def _chunks(n: int) -> Iterator[range]:
    for lo in range(0, n, BATCH):
        yield range(lo, min(n, lo + BATCH))


def _order_rows(
    idx: range, cols: dict[str, list[Any]], tl: dict[str, list[Any]]
) -> Iterator[dict[str, Any]]:
    for i in idx:
        created = _instant(tl["created"][i])
        final = _S_TEXT[tl["final"][i]]
        yield {
            "id": i + 1,
            "customer_id": cols["customer"][i],
            "type": TYPES[cols["type"][i]],
            "channel": CHANNELS[cols["channel"][i]],
            "priority": PRIORITIES[cols["priority"][i]],
            "tier": "L1",
            "status": final,
            "subject": SUBJECTS[i % len(SUBJECTS)],
            "description": "",
            "owner_id": cols["agent"][i],
            "assignee_id": None if final == "new" else cols["agent"][i],
            "team_id": cols["team"][i],
            "policy_id": cols["policy"][i],
            "created_at": created,
            "updated_at": created,
            "resolved_at": _instant(tl["resolved"][i]),
            "closed_at": _instant(tl["closed"][i]),
            "sla_next_escalation_at": _instant(cols["next_esc"][i]),
            "sla_breached": bool(cols["breached"][i]),
        }


def _event_rows(
    idx: range, tl: dict[str, list[Any]], cols: dict[str, list[Any]]
) -> list[dict[str, Any]]:
    rows = []
    for j in idx:
        o, kind, st = tl["order"][j], tl["type"][j], tl["status"][j]
        rows.append(
            {
                "work_order_id": o + 1,
                "at": _instant(tl["at"][j]),
                "type": _T_TEXT[kind],
                "status": None if st < 0 else _S_TEXT[st],
                "actor_id": None if kind == _T[EventType.CUSTOMER_MESSAGE] else cols["agent"][o],
                "channel": CHANNELS[cols["channel"][o]],
                "tag": "",
                "body": "您好，已收到。" if kind == _T[EventType.AGENT_REPLY] else "",
            }
        )
    return rows


def _contact_rows(idx: range, cols: dict[str, list[Any]], created: list[int]) -> Iterator[Any]:
    for i in idx:
        yield {
            "customer_id": cols["customer"][i],
            "channel": CHANNELS[cols["channel"][i]],
            "direction": "inbound",
            "agent_id": cols["agent"][i],
            "outcome": "answered",
            "summary": "",
            "work_order_id": i + 1,
            "at": _instant(created[i]),
        }


def seed_orders(
    engine: Engine, n: int, customers: int, desk: dict[str, Any], now: datetime, seed_value: int
) -> int:
    """Orders, their events and contacts; returns the number of events."""
    rng = np.random.default_rng(seed_value)
    tl_np = _timelines(rng, n, int(now.timestamp()))
    team_ix = rng.integers(0, len(desk["teams"]), n)
    agent_ix = rng.integers(0, AGENTS_PER_TEAM, n)
    policy_of = np.array(desk["policies"])[rng.integers(0, len(desk["policies"]), n)]
    next_esc, breached = sla_cache(engine, tl_np, policy_of, now)
    cols: dict[str, list[Any]] = {
        "customer": rng.integers(1, customers + 1, n).tolist(),
        "type": rng.choice(len(TYPES), n, p=TYPE_P).tolist(),
        "channel": rng.choice(len(CHANNELS), n, p=CHANNEL_P).tolist(),
        "priority": rng.choice(len(PRIORITIES), n, p=PRIORITY_P).tolist(),
        "team": [desk["teams"][t][0] for t in team_ix.tolist()],
        "agent": [
            desk["teams"][t][1][a] for t, a in zip(team_ix.tolist(), agent_ix.tolist(), strict=True)
        ],
        "policy": policy_of.tolist(),
        "next_esc": np.minimum(next_esc, 2**33).tolist(),
        "breached": breached.tolist(),
    }
    tl = {k: v.tolist() for k, v in tl_np.items()}
    for idx in _chunks(n):
        with engine.begin() as conn:
            conn.execute(insert(WorkOrder), list(_order_rows(idx, cols, tl)))
            conn.execute(insert(Contact), list(_contact_rows(idx, cols, tl["created"])))
    n_events = len(tl["order"])
    for idx in _chunks(n_events):
        with engine.begin() as conn:
            conn.execute(insert(WorkOrderEvent), _event_rows(idx, tl, cols))
    return n_events


def fill_kpi_facts(engine: Engine) -> int:
    """Store the KPI facts of every order without current ones, as the desk clock's
    sweep does (all of them at once here, in its chunks); prints the time taken."""
    t = time.perf_counter()
    with make_session_factory(engine)() as session:
        written = refresh_kpi_facts(session)
    print(f"  KPI facts of {written:,} orders (refresh_kpi_facts): {time.perf_counter() - t:.0f} s")
    return written


def seed(engine: Engine, customers: int, orders: int, now: datetime, seed_value: int = 21) -> None:
    """The whole desk (see the module's doc), with its progress and times printed."""
    t0 = time.perf_counter()
    desk = _desk(engine, now)
    n_keys = seed_customers(engine, customers, now, seed_value)
    t1 = time.perf_counter()
    print(f"  {customers:,} customers, {n_keys:,} blocking keys: {t1 - t0:.0f} s", flush=True)
    n_events = seed_orders(engine, orders, customers, desk, now, seed_value)
    t2 = time.perf_counter()
    print(f"  {orders:,} orders, {n_events:,} events, {orders:,} contacts: {t2 - t1:.0f} s")
    fill_kpi_facts(engine)
    t2 = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('customers', 'id'), :n)"),
                {"n": customers},
            )
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('work_orders', 'id'), :n)"),
                {"n": orders},
            )
        conn.execute(text("ANALYZE"))
    print(
        f"  ANALYZE: {time.perf_counter() - t2:.0f} s; seeded in {time.perf_counter() - t0:.0f} s"
    )
