"""The desk's directory: who and what a page names (users, teams, customers), each SLA
policy's warning share, and the people an order can be transferred to.

Read-only: these functions never write, audit or notify. The pages turn them into
labels (an em dash for an unknown id) in ``touchpoint.web``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from touchpoint.domain.roles import Role
from touchpoint.storage.models import Customer, SlaPolicyRow, Team, User

__all__ = ["Directory", "assignable_users", "load_directory"]


@dataclass(frozen=True, slots=True)
class Directory:
    """Display names by id, and each SLA policy's warning share (0-1) by policy id."""

    users: dict[int, str]
    teams: dict[int, str]
    customers: dict[int, str]
    warn_shares: dict[int, float]


def load_directory(session: Session, customer_ids: Iterable[int] = ()) -> Directory:
    """Names of every user (display name, else username) and team, of the customers in
    ``customer_ids`` (only those asked for: a desk has many), and every policy's
    warning share."""
    users = {u.id: u.display_name or u.username for u in session.scalars(select(User))}
    teams = {t.id: t.name for t in session.scalars(select(Team))}
    ids = sorted(set(customer_ids))
    customers: dict[int, str] = {}
    if ids:
        rows = session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
        customers = {int(cid): str(name) for cid, name in rows}
    shares = {
        int(pid): float(share)
        for pid, share in session.execute(select(SlaPolicyRow.id, SlaPolicyRow.warn_share))
    }
    return Directory(users=users, teams=teams, customers=customers, warn_shares=shares)


def assignable_users(session: Session) -> list[User]:
    """Active users whose role may work orders, by id: who an order can be transferred to."""
    working = sorted(r.value for r in Role if r.can_handle_orders)
    stmt = select(User).where(User.active.is_(True), User.role.in_(working)).order_by(User.id)
    return list(session.scalars(stmt))
