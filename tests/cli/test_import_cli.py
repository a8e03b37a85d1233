"""``touchpoint import``: a file too large for a web request is loaded on the server, all
rows or none, audited under the user named; a refused file lists its bad cells."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from touchpoint.cli.main import app
from touchpoint.domain.roles import Role
from touchpoint.services.auth import UserDraft, create_user
from touchpoint.services.base import Actor
from touchpoint.storage.db import make_engine, make_session_factory
from touchpoint.storage.migrate import upgrade


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded database under a fresh data folder, with one supervisor."""
    monkeypatch.setenv("TOUCHPOINT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("TOUCHPOINT_DATABASE_URL", raising=False)
    (tmp_path / "var").mkdir()
    db = tmp_path / "var" / "touchpoint.sqlite3"
    upgrade(f"sqlite:///{db}")
    engine = make_engine(f"sqlite:///{db}")
    with make_session_factory(engine)() as session:
        draft = UserDraft("wang.li", "long-enough-1", Role.SUPERVISOR)
        create_user(session, Actor.system(), draft, now=datetime(2026, 3, 1, tzinfo=UTC))
    engine.dispose()
    return db


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_a_refused_file_lists_its_cells_and_writes_nothing(desk: Path, tmp_path: Path) -> None:
    bad = tmp_path / "customers.csv"
    bad.write_text("name,phone\n张三,13900000001\n,abc\n", encoding="utf-8")
    run = CliRunner().invoke(app, ["import", "customers", str(bad)])
    assert run.exit_code == 1
    assert "nothing imported, 2 problem(s)" in run.stderr
    assert "row 3, column 'phone', value 'abc': phone 'abc' is not a phone number" in run.stderr
    assert _rows(desk, "select count(*) from customers") == [(0,)]


def test_a_gbk_file_is_imported_and_audited_under_the_user(desk: Path, tmp_path: Path) -> None:
    good = tmp_path / "客户.csv"
    good.write_bytes("name,phone\n张三,13900000001\n李四,13900000002\n".encode("gbk"))
    run = CliRunner().invoke(
        app, ["import", "customers", str(good), "--encoding", "gbk", "--user", "wang.li"]
    )
    assert run.exit_code == 0, run.stderr
    assert "2 customers imported" in run.stdout
    assert _rows(desk, "select name from customers order by id") == [("张三",), ("李四",)]
    audited = _rows(
        desk,
        "select u.username from audit_log a join users u on u.id = a.actor_id "
        "where a.action = 'customer.import'",
    )
    assert audited == [("wang.li",)]
    nobody = CliRunner().invoke(app, ["import", "customers", str(good), "--user", "nobody"])
    assert nobody.exit_code == 1 and "user 'nobody' not found" in nobody.stderr
    assert len(_rows(desk, "select id from customers")) == 2


def test_answers_go_into_an_open_wave_only(desk: Path, tmp_path: Path) -> None:
    answers = tmp_path / "paper.csv"
    answers.write_text("CSAT\n5\n", encoding="utf-8")
    run = CliRunner().invoke(app, ["import", "responses", "7", str(answers)])
    assert run.exit_code == 1 and "survey_wave 7 not found" in run.stderr
