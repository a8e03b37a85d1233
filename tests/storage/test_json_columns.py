"""JSON columns are written by ``storage.db.json_text`` (pydantic-core's serializer) and
read back as the values written, on SQLite and PostgreSQL, by the ORM and by Core."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, text

from tests.storage.support import T0, Database
from touchpoint.storage.db import json_text
from touchpoint.storage.models import AuditEntry

VALUES = {
    "subject": "停电报修 — no power since 08:00",
    "count": 3,
    "share": 0.25,
    "big": 10**20,
    "flags": [True, False, None],
    "nested": {"a": [1, "两"], "empty": {}},
}


def test_the_text_is_compact_utf8_json_that_json_loads_reads_back() -> None:
    stored = json_text(VALUES)
    assert json.loads(stored) == VALUES
    assert "停电报修" in stored  # not \u-escaped
    # Compact separators, non-ASCII as is: json.dumps's text with those two options.
    assert stored == json.dumps(VALUES, ensure_ascii=False, separators=(",", ":"))
    assert json_text({"x": float("nan")}) == '{"x":NaN}'  # as json.dumps writes it
    assert math.isnan(json.loads(json_text(float("nan"))))
    assert json_text(None) == "null"


def test_datetimes_and_decimals_are_written_as_iso_text_and_strings() -> None:
    # json.dumps refuses these; the services convert them first (to_jsonable), and the
    # serializer writes them the way pydantic does rather than failing the write.
    assert json.loads(json_text({"at": datetime(2026, 11, 24, 8, 0, tzinfo=UTC)})) == {
        "at": "2026-11-24T08:00:00Z"
    }
    assert json.loads(json_text([Decimal("12.50")])) == ["12.50"]


def test_an_object_that_is_not_json_is_refused_with_its_type() -> None:
    class Opaque:
        pass

    with pytest.raises(ValueError, match="Opaque"):
        json_text({"x": Opaque()})


def _audit(entity_id: str, before: dict[str, object]) -> dict[str, object]:
    return {
        "at": T0,
        "actor_id": None,
        "action": "test.json",
        "entity": "test",
        "entity_id": entity_id,
        "before": before,
        "after": None,
    }


def test_stored_values_read_back_equal_on_every_path(db: Database) -> None:
    orm_id, core_id = db.unique("orm"), db.unique("core")
    with db.factory() as s, s.begin():
        s.add(AuditEntry(**_audit(orm_id, VALUES)))
        s.execute(insert(AuditEntry), _audit(core_id, VALUES))
    with db.factory() as s:
        for entity_id in (orm_id, core_id):
            row = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == entity_id)).one()
            assert row.before == VALUES
            assert row.after is None
            raw = s.execute(
                text("SELECT CAST(before AS TEXT) FROM audit_log WHERE entity_id = :e"),
                {"e": entity_id},
            ).scalar_one()
            assert json.loads(raw) == VALUES
            assert "停电报修" in raw  # written by json_text: json.dumps would \u-escape it
