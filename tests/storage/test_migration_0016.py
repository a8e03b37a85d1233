"""Revision 0016: the facts rows already stored get their order's policy, team, assignee
and owner and their tally code; the orders whose facts are missing or were computed for
another version are listed as changed, and from then on the database lists every order
written or created, whatever writes it, until the facts sweep has caught up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, select, text, update

from tests.storage.support import BACKENDS, Database, open_database, team_orders
from touchpoint.domain.kpi import OrderFacts
from touchpoint.services.kpi_facts import refresh_kpi_facts, tally_code
from touchpoint.storage.migrate import upgrade
from touchpoint.storage.models import OrderKpiChange, OrderKpiFacts, WorkOrder

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request.param, tmp_path, revision="0015")


def _old_facts_row(c: Connection, order_id: int, version: int) -> None:
    """A facts row as revision 0008 stored it: resolved in 95 minutes, first answer in 4,
    a reopened complaint, 3 targets tracked of which 1 breached."""
    c.execute(
        text(
            "INSERT INTO work_order_kpi_facts (work_order_id, order_version, sla_stamp, "
            "created_at, is_complaint, resolved, reopened, first_contact_resolution, "
            "first_response_minutes, resolution_minutes, targets_tracked, targets_breached) "
            "VALUES (:o, :v, NULL, :t, :yes, :yes, :yes, :no, 4, 95, 3, 1)"
        ),
        {"o": order_id, "v": version, "t": T, "yes": True, "no": False},
    )


def test_stored_facts_get_their_new_columns_and_stale_orders_are_listed(
    old_db: Database,
) -> None:
    team, owner, assignee, (current, older, missing) = team_orders(old_db, 3, T)
    with old_db.engine.begin() as c:
        c.execute(text("UPDATE work_orders SET version = 2"))
        _old_facts_row(c, current, 2)
        _old_facts_row(c, older, 1)
    upgrade(old_db.url)
    with old_db.factory() as s:
        row = s.get(OrderKpiFacts, current)
        assert row is not None
        assert (row.policy_id, row.team_id, row.assignee_id, row.owner_id) == (
            None,
            team,
            assignee,
            owner,
        )
        facts = OrderFacts(current, True, True, True, False, 4, 95, 3, 1)
        # TallyCode's layout, bit by bit: resolved 1, reopened 4, complaint 8, 3 targets
        # tracked << 4 = 48, 1 breached << 7 = 128, first response (4 + 1) << 10 = 5,120,
        # resolution (95 + 1) << 36 = 6,597,069,766,656.
        expected = 1 + 4 + 8 + 48 + 128 + 5_120 + 6_597_069_766_656
        assert row.tally_code == tally_code(facts) == expected
        listed = s.execute(select(OrderKpiChange.work_order_id, OrderKpiChange.version)).all()
        assert sorted(tuple(r) for r in listed) == [(older, 2), (missing, 2)]


def test_the_database_lists_every_written_order_until_the_sweep_has_its_facts(
    old_db: Database,
) -> None:
    upgrade(old_db.url)
    team, _owner, _assignee, (first, second) = team_orders(old_db, 2, T)
    with old_db.factory() as s:
        listed = dict(s.execute(select(OrderKpiChange.work_order_id, OrderKpiChange.version)).all())
        assert listed == {first: 1, second: 1}  # created: listed
        assert refresh_kpi_facts(s) == 2
        assert s.scalars(select(OrderKpiChange.work_order_id)).all() == []
        assert refresh_kpi_facts(s) == 0
        # A plain UPDATE that moves no version but the team still lists the order.
        s.execute(update(WorkOrder).where(WorkOrder.id == first).values(team_id=None))
        s.execute(update(WorkOrder).where(WorkOrder.id == second).values(version=3))
        s.commit()
        listed = dict(s.execute(select(OrderKpiChange.work_order_id, OrderKpiChange.version)).all())
        assert listed == {first: 1, second: 3}
        assert refresh_kpi_facts(s) == 2
        row = s.get(OrderKpiFacts, first)
        assert row is not None and row.team_id is None and team is not None
        # A facts row deleted by hand lists its order again.
        s.delete(row)
        s.commit()
        assert s.scalars(select(OrderKpiChange.work_order_id)).all() == [first]
