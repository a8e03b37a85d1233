"""``storage.direct.fetch_first`` and ``as_loaded``: what Core and the ORM would give.

A row read on the driver's cursor must carry the values Core reads (dates as aware
datetimes, JSON as objects, booleans, NULLs), and an object built from it must behave in
its session as one the ORM loaded: persistent, unmodified, tracked when changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, bindparam, event, insert, inspect, select
from sqlalchemy.orm import Session

from touchpoint.storage.direct import as_loaded, fetch_first, model_columns
from touchpoint.storage.models import AuditEntry, Customer, CustomerIdentity, User

AT = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def _customers(c: Connection) -> None:
    c.execute(
        insert(Customer),
        [
            {
                "name": "王芳",
                "customer_class": "key_account",
                "preferences": {"room": "high floor", "pillow": "soft"},
                "created_at": AT,
                "updated_at": AT,
            },
            {
                "name": "Li Lei",
                "customer_class": "normal",
                "preferences": {},
                "created_at": AT,
                "updated_at": AT,
            },
        ],
    )


_BY_ID = select(Customer.__table__).where(Customer.id == bindparam("id"))


def test_a_row_is_read_as_core_reads_it(sqlite_file: Engine) -> None:
    with sqlite_file.begin() as c:
        _customers(c)
        core = c.execute(_BY_ID, {"id": 1}).first()
        assert core is not None
        row = fetch_first(c, _BY_ID, {"id": 1})
    assert row == tuple(core)
    values = dict(zip(core._fields, row or (), strict=True))
    assert values["created_at"] == AT  # an aware datetime, as stored
    assert values["preferences"] == {"room": "high floor", "pillow": "soft"}
    assert values["merged_into_id"] is None


def test_no_row_is_none(sqlite_file: Engine) -> None:
    with sqlite_file.begin() as c:
        _customers(c)
        assert fetch_first(c, _BY_ID, {"id": 99}) is None


def test_a_select_it_cannot_send_as_compiled_goes_through_core(
    sqlite_file: Engine, sent_direct: list[str]
) -> None:
    expanding = select(Customer.name).where(Customer.id.in_(bindparam("ids", expanding=True)))
    with sqlite_file.begin() as c:
        _customers(c)
        assert fetch_first(c, expanding, {"ids": [2]}) == ("Li Lei",)
        assert sent_direct == []
        assert fetch_first(c, _BY_ID, {"id": 2}) is not None
    assert len(sent_direct) == 1


def test_the_engine_s_cursor_events_see_the_select(sqlite_file: Engine) -> None:
    seen: list[str] = []

    def before(_c: Connection, _cur: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    with sqlite_file.begin() as c:
        _customers(c)
    event.listen(sqlite_file, "before_cursor_execute", before)
    with sqlite_file.connect() as c:
        fetch_first(c, _BY_ID, {"id": 1})
    assert len(seen) == 1 and seen[0].startswith("SELECT customers.id")


def _user_values(session: Session) -> dict[str, Any]:
    keys, columns = model_columns(User)
    row = fetch_first(session.connection(), select(*columns), {})
    assert row is not None
    return dict(zip(keys, row, strict=True))


def _one_user(sqlite_file: Engine) -> None:
    with sqlite_file.begin() as c:
        c.execute(
            insert(User),
            {"username": "li", "password_hash": "h", "role": "agent", "created_at": AT},
        )


def test_an_object_built_from_a_row_is_as_the_orm_loads_it(sqlite_file: Engine) -> None:
    _one_user(sqlite_file)
    with Session(sqlite_file) as s:
        user = as_loaded(s, User, _user_values(s))
        state = inspect(user)
        assert state.persistent and not s.dirty and not state.modified
        assert s.get(User, user.id) is user  # in the identity map: no second object
        loaded = s.scalars(select(User)).one()
        assert loaded is user
        assert (user.username, user.active, user.created_at) == ("li", True, AT)
        user.display_name = "Li Lei"
        assert list(s.dirty) == [user]
        s.commit()
    with Session(sqlite_file) as s:
        assert s.scalars(select(User.display_name)).one() == "Li Lei"


def test_an_object_already_in_the_session_is_given_the_row_s_values(sqlite_file: Engine) -> None:
    _one_user(sqlite_file)
    with Session(sqlite_file) as s:
        held = s.scalars(select(User)).one()
        with sqlite_file.begin() as other:  # another connection changes the row meanwhile
            other.execute(User.__table__.update().values(display_name="renamed"))
        user = as_loaded(s, User, _user_values(s))
        assert user is held
        assert user.display_name == "renamed"
        assert not inspect(user).modified


def _row_values(s: Session, model: type[Any], row_id: int) -> dict[str, Any]:
    keys, columns = model_columns(model)
    row = fetch_first(s.connection(), select(*columns).where(columns[0] == row_id), {})
    assert row is not None
    return dict(zip(keys, row, strict=True))


def test_a_built_object_s_relationships_load_when_first_read(sqlite_file: Engine) -> None:
    with sqlite_file.begin() as c:
        _customers(c)
        c.execute(
            insert(CustomerIdentity),
            [
                {
                    "customer_id": 1,
                    "kind": "phone",
                    "value": "138 0013 8000",
                    "normalised": "8613800138000",
                },
                {"customer_id": 1, "kind": "email", "value": "W@x.cn", "normalised": "w@x.cn"},
            ],
        )
    with Session(sqlite_file) as s:
        customer = as_loaded(s, Customer, _row_values(s, Customer, 1))
        identity = as_loaded(s, CustomerIdentity, _row_values(s, CustomerIdentity, 2))
        assert identity.customer is customer  # many-to-one: from the identity map
        assert [i.normalised for i in customer.identities] == ["8613800138000", "w@x.cn"]
        assert identity in customer.identities
        assert not s.dirty and not inspect(customer).modified


def test_a_row_without_every_column_is_refused(sqlite_file: Engine) -> None:
    with sqlite_file.begin() as c:
        _customers(c)
    with Session(sqlite_file) as s:
        values = _row_values(s, Customer, 1)
        del values["notes"]
        with pytest.raises(ValueError, match=r"no value for \['notes'\]"):
            as_loaded(s, Customer, values)
        with pytest.raises(ValueError, match=r"values for \['vip'\] are not columns"):
            as_loaded(s, Customer, {**_row_values(s, Customer, 1), "vip": True})
        assert not s.identity_map  # nothing half-built was left in the session


def test_an_audit_row_s_json_and_its_entity_read_back(sqlite_file: Engine) -> None:
    with sqlite_file.begin() as c:
        c.execute(
            insert(AuditEntry),
            {
                "at": AT,
                "action": "x.test",
                "entity": "x",
                "entity_id": "7",
                "before": None,
                "after": {"ok": True, "n": [1, 2]},
            },
        )
    keys, columns = model_columns(AuditEntry)
    with Session(sqlite_file) as s:
        row = fetch_first(s.connection(), select(*columns), {})
        assert row is not None
        entry = as_loaded(s, AuditEntry, dict(zip(keys, row, strict=True)))
        assert (entry.before, entry.after, entry.at) == (None, {"ok": True, "n": [1, 2]}, AT)
