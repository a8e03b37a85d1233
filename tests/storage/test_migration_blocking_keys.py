"""Revision 0005: the blocking keys table, filled for the customers already there."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy import inspect

from tests.storage.support import T0, Database
from touchpoint.domain.blocking import blocking_keys
from touchpoint.domain.customers import IdentityKind
from touchpoint.storage.migrate import alembic_config, upgrade
from touchpoint.storage.types import UtcDateTime

# The columns revision 0004 has and the fill reads.
CUSTOMERS = sa.table(
    "customers",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("customer_class", sa.String()),
    sa.column("name", sa.String()),
    sa.column("organisation", sa.String()),
    sa.column("preferences", sa.JSON()),
    sa.column("notes", sa.String()),
    sa.column("hostage", sa.Boolean()),
    sa.column("merged_into_id", sa.Integer()),
    sa.column("created_at", UtcDateTime()),
    sa.column("updated_at", UtcDateTime()),
    sa.column("version", sa.Integer()),
)
IDENTITIES = sa.table(
    "customer_identities",
    sa.column("customer_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("value", sa.String()),
    sa.column("normalised", sa.String()),
)
KEYS = sa.table("customer_blocking_keys", sa.column("customer_id"), sa.column("key"))


def _customer(cid: int, name: str, merged_into: int | None = None) -> dict[str, object]:
    return {
        "id": cid,
        "kind": "person",
        "customer_class": "normal",
        "name": name,
        "organisation": "",
        "preferences": {},
        "notes": "",
        "hostage": False,
        "merged_into_id": merged_into,
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
    }


def test_upgrade_builds_keys_of_existing_customers_and_downgrade_drops_them(
    db: Database,
) -> None:
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    assert "customer_blocking_keys" not in inspect(db.engine).get_table_names()
    with db.engine.begin() as conn:
        conn.execute(
            sa.insert(CUSTOMERS),
            [_customer(9001, "陳麗華"), _customer(9002, "Chen Lihua"), _customer(9003, "x", 9001)],
        )
        conn.execute(
            sa.insert(IDENTITIES),
            [
                {"customer_id": 9001, "kind": "phone", "value": "+86 135", "normalised": "135"},
                {"customer_id": 9002, "kind": "email", "value": "c@x.cn", "normalised": "c@x.cn"},
            ],
        )
    upgrade(db.url)
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(KEYS.c.customer_id, KEYS.c.key)).all()
    keys: dict[int, set[str]] = {}
    for cid, key in rows:
        keys.setdefault(cid, set()).add(key)
    assert keys == {
        9001: set(blocking_keys("陳麗華", [(IdentityKind.PHONE, "135")])),
        9002: set(blocking_keys("Chen Lihua", [(IdentityKind.EMAIL, "c@x.cn")])),
    }  # the customer merged away (9003) has none
    assert keys[9001] & keys[9002]
