"""The pages' read functions: the directory of names, who can take an order, an order's
return visits and several customers as the viewer may see them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.services.support import customer, order, people
from tests.storage.support import T0, Database, make_user
from touchpoint.domain.customers import IdentityKind
from touchpoint.domain.roles import Role
from touchpoint.domain.work_orders import WorkOrderStatus
from touchpoint.services.auth import TeamDraft, create_team, update_user
from touchpoint.services.base import Actor
from touchpoint.services.desk_reads import customer_views, return_visits
from touchpoint.services.directory import assignable_users, load_directory
from touchpoint.services.work_orders import record_return_visit, transition_work_order


def test_directory_names_users_teams_and_only_the_customers_asked_for(
    db: Database, session: Session
) -> None:
    _sup, agent, _analyst = people(db, session)
    team = create_team(session, Actor.system(), TeamDraft(name=db.unique("Team ")), now=T0)
    asked = customer(db, session, agent, name="Asked For")
    other = customer(db, session, agent)
    names = load_directory(session, [asked, asked])
    assert names.customers == {asked: "Asked For"}
    assert other not in names.customers
    assert agent.user_id is not None
    assert names.users[agent.user_id] == agent.username  # no display name: the username
    assert names.teams[team.id] == team.name
    assert load_directory(session).customers == {}


def test_assignable_users_are_active_and_may_work_orders(db: Database, session: Session) -> None:
    agent = make_user(db, session, Role.AGENT)
    analyst = make_user(db, session, Role.ANALYST)
    gone = make_user(db, session, Role.AGENT)
    update_user(session, Actor.system(), gone.id, version=gone.version, now=T0, active=False)
    ids = [u.id for u in assignable_users(session)]
    assert agent.id in ids
    assert analyst.id not in ids and gone.id not in ids
    assert ids == sorted(ids)


def test_return_visits_of_an_order_oldest_first(db: Database, session: Session) -> None:
    _sup, agent, _analyst = people(db, session)
    cid = customer(db, session, agent)
    detail = order(session, agent, cid, assignee_id=agent.user_id)
    oid = detail.order.id
    assert return_visits(session, oid) == []
    done = transition_work_order(
        session, agent, oid, WorkOrderStatus.RESOLVED, version=detail.order.version, now=T0
    )
    after = record_return_visit(
        session, agent, oid, satisfied=False, now=T0, version=done.order.version
    )
    record_return_visit(session, agent, oid, satisfied=True, now=T0, version=after.order.version)
    visits = return_visits(session, oid)
    assert [v.satisfied for v in visits] == [False, True]
    assert all(v.work_order_id == oid for v in visits)


def test_customer_views_mask_contact_details_for_analysts(db: Database, session: Session) -> None:
    _sup, agent, analyst = people(db, session)
    cid = customer(db, session, agent, email="guest@example.com")
    seen = customer_views(session, agent, [cid, 2_000_000_000])
    assert list(seen) == [cid]
    (ident,) = seen[cid].identities
    assert (ident.kind, ident.value, ident.masked) == (
        IdentityKind.EMAIL,
        "guest@example.com",
        False,
    )
    (hidden,) = customer_views(session, analyst, [cid])[cid].identities
    assert hidden.masked and hidden.value != "guest@example.com"
    assert customer_views(session, agent, []) == {}
