"""``touchpoint sla`` as a real process: exact output and exit code 2 on bad input.

Calendar: Asia/Shanghai, Mon–Fri 08:30–12:00 and 13:30–17:30; Mon = 2026-09-28.
Times in comments are local (UTC+8); printed instants are UTC.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

WORKDAY = [["08:30", "12:00"], ["13:30", "17:30"]]
CALENDAR = {
    "timezone": "Asia/Shanghai",
    "hours": {d: WORKDAY for d in ("mon", "tue", "wed", "thu", "fri")},
}
POLICY = {
    "first_response_minutes": 60,
    "next_update_minutes": 120,
    "next_update_from": "customer_message",
    "resolution_minutes": 480,
}
AGAINST = {"first_response_minutes": 30, "next_update_minutes": None, "resolution_minutes": 120}
DAYS = {"Mon": "2026-09-28", "Tue": "2026-09-29", "Wed": "2026-09-30"}


def local(when: str) -> str:
    day, clock = when.split()
    return f"{DAYS[day]}T{clock}:00+08:00"


def sla(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "touchpoint", "sla", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "calendar": write(tmp_path / "calendar.json", CALENDAR),
        "policy": write(tmp_path / "policy.json", POLICY),
        "against": write(tmp_path / "against.json", AGAINST),
    }


def test_add_prints_the_due_instant(files: dict[str, Path]) -> None:
    # Mon 16:30 + 60 runs out exactly at closing 17:30 = 09:30Z
    done = sla("add", files["calendar"], local("Mon 16:30"), "60")
    assert (done.returncode, done.stdout, done.stderr) == (0, "2026-09-28T09:30:00Z\n", "")
    # + 61: Tue 08:31 = 00:31Z
    assert (
        sla("add", files["calendar"], local("Mon 16:30"), "61").stdout == "2026-09-29T00:31:00Z\n"
    )


def test_between_prints_seconds_and_minutes(files: dict[str, Path]) -> None:
    # Mon 11:59:30 → 13:30:45: 30 s before lunch + 45 s after = 75 s, 1 whole minute
    done = sla("between", files["calendar"], "2026-09-28T03:59:30Z", "2026-09-28T05:30:45Z")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"seconds": 75, "minutes": 1}


CASE_EVENTS = [
    {"at": local("Mon 08:30"), "type": "created", "status": "new"},
    {"at": local("Mon 09:30"), "type": "status", "to": "resolved"},
    {"at": local("Mon 14:00"), "type": "status", "to": "in_progress"},
]


def test_replay_prints_the_report_and_honours_now(tmp_path: Path) -> None:
    case = write(
        tmp_path / "case.json", {"calendar": CALENDAR, "policy": POLICY, "events": CASE_EVENTS}
    )
    expected: dict[str, Any] = {
        "status": "in_progress",
        "paused": False,
        "paused_since": None,
        # first response: 60 used when resolved at 09:30, reopened: due back at 09:30
        "next_escalation_at": "2026-09-28T01:30:00Z",
        "first_response": {
            "target_minutes": 60,
            "due_at": "2026-09-28T01:30:00Z",
            "met_at": None,
            "used_minutes": None,
            "left_minutes": None,
            "breached": False,
        },
        "next_update": {
            "target_minutes": 120,
            "due_at": None,
            "met_at": None,
            "used_minutes": None,
            "left_minutes": None,
            "breached": False,
            "started_at": None,
        },
        # 60 used; 420 more from Mon 14:00: 210 to 17:30, Tue 08:30–12:00 210 → 12:00
        "resolution": {
            "target_minutes": 480,
            "due_at": "2026-09-29T04:00:00Z",
            "met_at": None,
            "used_minutes": None,
            "left_minutes": None,
            "breached": False,
        },
    }
    done = sla("replay", case)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected
    done = sla("replay", case, "--now", "2026-09-28T14:10:00+08:00")
    expected["first_response"]["breached"] = True  # due 09:30 is before now 14:10
    assert json.loads(done.stdout) == expected


# Four orders (hand-worked in tests/domain/test_sla.py, cases A, B, E, G):
#   WO-A created Mon 07:00, reply 09:45: first response 75 (> 60 breached, ≤ 30 no)
#   WO-B reply 20 min after creation; waits two nights; resolved with 390 used
#   WO-E reply after 5; messages 09:00/09:30/10:00 answered 11:30: next update 150 > 120
#   WO-G resolved before any reply, reopened 14:00: first response pending, due 09:30
WHATIF_ROWS = [
    ("WO-A", local("Mon 07:00"), "created", "new"),
    ("WO-A", local("Mon 09:45"), "agent_reply", None),
    ("WO-B", local("Mon 09:00"), "created", "new"),
    ("WO-B", local("Mon 09:20"), "agent_reply", None),
    ("WO-B", local("Mon 16:00"), "status", "waiting_customer"),
    ("WO-B", local("Wed 10:00"), "status", "in_progress"),
    ("WO-B", local("Wed 11:00"), "status", "resolved"),
    ("WO-E", local("Mon 08:30"), "created", "new"),
    ("WO-E", local("Mon 08:35"), "agent_reply", None),
    ("WO-E", local("Mon 09:00"), "customer_message", None),
    ("WO-E", local("Mon 09:30"), "customer_message", None),
    ("WO-E", local("Mon 10:00"), "customer_message", None),
    ("WO-E", local("Mon 11:30"), "agent_reply", None),
    ("WO-E", local("Mon 14:00"), "customer_message", None),
    ("WO-G", local("Mon 08:30"), "created", "new"),
    ("WO-G", local("Mon 09:30"), "status", "resolved"),
    ("WO-G", local("Mon 14:00"), "status", "in_progress"),
]


def counts(breached: int, met: int, pending: int) -> dict[str, object]:
    return {"breached": breached, "share": breached / 4, "met": met, "pending": pending}


EXPECTED_POLICY = {
    "first_response": counts(1, 2, 1),  # A breached; B, E met; G pending
    "next_update": counts(1, 3, 0),  # E breached (150 > 120); A, B, G have no clock
    "resolution": counts(0, 1, 3),  # B met (390 ≤ 480); the others are open
}
EXPECTED_AGAINST = {
    "first_response": counts(1, 2, 1),  # A 75 > 30; B 20, E 5 met; G pending
    "next_update": None,  # not tracked
    "resolution": counts(1, 0, 3),  # B 390 > 120; A, E, G open
}


def _table(rows: list[tuple[str, str, str, str | None]], at: Any = None) -> pa.Table:
    order, times, kinds, statuses = zip(*rows, strict=True)
    return pa.table(
        {
            "order_id": list(order),
            "at": at if at is not None else list(times),
            "type": list(kinds),
            "status": list(statuses),
        }
    )


def _csv(path: Path, rows: list[tuple[str, str, str, str | None]]) -> Path:
    pacsv.write_csv(_table(rows), path)
    return path


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_whatif_counts_breaches_under_both_policies(
    files: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    # rows sorted by time across orders, as a plain export might be: still grouped right
    rows = sorted(WHATIF_ROWS, key=lambda r: r[1])
    if kind == "csv":
        events = _csv(tmp_path / "events.csv", rows)
    else:
        events = tmp_path / "events.parquet"
        from datetime import datetime

        instants = pa.array(
            [datetime.fromisoformat(r[1]) for r in rows], pa.timestamp("s", tz="UTC")
        )
        pq.write_table(_table(rows, instants), events)
    args: list[str | Path] = [
        "whatif",
        events,
        "--calendar",
        files["calendar"],
        "--policy",
        files["policy"],
    ]
    done = sla(*args, "--against", files["against"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "orders": 4,
        "policy": EXPECTED_POLICY,
        "against": EXPECTED_AGAINST,
    }
    # --now Mon 14:10: G's first response (due 09:30) is now breached
    done = sla(*args, "--now", "2026-09-28T06:10:00Z")
    assert json.loads(done.stdout) == {
        "orders": 4,
        "policy": EXPECTED_POLICY | {"first_response": counts(2, 2, 0)},
        "against": None,
    }


def test_whatif_table_format(files: dict[str, Path], tmp_path: Path) -> None:
    events = _csv(tmp_path / "events.csv", WHATIF_ROWS)
    done = sla(
        "whatif",
        events,
        "--calendar",
        files["calendar"],
        "--policy",
        files["policy"],
        "--format",
        "table",
    )
    assert done.returncode == 0, done.stderr
    assert "first_response" in done.stdout and "25.0%" in done.stdout


def test_whatif_progress_bar_path_in_process(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from touchpoint.cli import main
    from touchpoint.cli import sla as sla_cli

    monkeypatch.setattr(sla_cli, "_PROGRESS_BYTES", 0)  # every file counts as large
    events = _csv(tmp_path / "events.csv", WHATIF_ROWS)
    result = CliRunner().invoke(
        main.app,
        [
            "sla",
            "whatif",
            str(events),
            "--calendar",
            str(files["calendar"]),
            "--policy",
            str(files["policy"]),
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"orders": 4' in result.stdout


def _bad_calendar(tmp_path: Path, change: dict[str, object]) -> Path:
    return write(tmp_path / "bad.json", CALENDAR | change)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Asia/Beijing"}, "timezone: 'Asia/Beijing' is not a known time zone"),
        ({"hours": {"mon": [["8:30", "12:00"]]}}, "hours.mon[0][0]: '8:30' is not a time HH:MM"),
        (
            {"hours": {"mon": [["08:30", "12:00"], ["11:30", "17:30"]]}},
            "hours.mon[1]: ['11:30', '17:30'] overlaps",
        ),
        ({"holidays": ["2026-02-30"]}, "holidays[0]: '2026-02-30' is not a possible date"),
    ],
)
def test_bad_calendar_exits_2_naming_file_field_and_value(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    calendar = _bad_calendar(tmp_path, change)
    done = sla("add", calendar, local("Mon 08:30"), "60")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{calendar}: {message}" in done.stderr


def test_bad_instants_exit_2(files: dict[str, Path]) -> None:
    done = sla("add", files["calendar"], "2026-09-28T08:30:00", "60")
    assert done.returncode == 2
    assert "START: '2026-09-28T08:30:00' is a naive time" in done.stderr
    done = sla("between", files["calendar"], local("Mon 08:30"), "2026-09-31T08:30:00Z")
    assert done.returncode == 2
    assert "END: '2026-09-31T08:30:00Z' is not an ISO 8601 instant" in done.stderr
    done = sla("add", files["calendar"], local("Mon 08:30"), "--", "-5")
    assert done.returncode == 2 and "minutes: -5" in done.stderr


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([CASE_EVENTS[1], CASE_EVENTS[0]], "events[0].type: 'status' is the order's first event"),
        (
            [CASE_EVENTS[0], CASE_EVENTS[2], CASE_EVENTS[1]],
            "events[2].at: '2026-09-28T01:30:00Z' is before the previous event",
        ),
        (
            [CASE_EVENTS[0], {"at": local("Mon 09:00"), "type": "phone_call"}],
            "events[1].type: 'phone_call' is not an event type",
        ),
        (
            [CASE_EVENTS[0], {"at": local("Mon 09:00"), "type": "status", "to": "pending"}],
            "events[1].to: 'pending' is not a status",
        ),
        (
            [{"at": "2026-09-28T08:30:00", "type": "created", "status": "new"}],
            "events[0].at: '2026-09-28T08:30:00' is a naive time",
        ),
    ],
)
def test_bad_case_exits_2(tmp_path: Path, events: list[object], message: str) -> None:
    case = write(tmp_path / "case.json", {"calendar": CALENDAR, "policy": POLICY, "events": events})
    done = sla("replay", case)
    assert done.returncode == 2
    assert f"{case}: {message}" in done.stderr


def test_bad_case_calendar_policy_and_json(tmp_path: Path) -> None:
    bad_calendar = CALENDAR | {"special_days": {"2026-10-11": [["13:00", "12:00"]]}}
    case = write(tmp_path / "case.json", {"calendar": bad_calendar, "policy": POLICY, "events": []})
    done = sla("replay", case)
    assert done.returncode == 2
    assert f"{case}: calendar.special_days.2026-10-11[0]: ['13:00', '12:00']" in done.stderr
    case = write(
        tmp_path / "case.json",
        {"calendar": CALENDAR, "policy": POLICY | {"resolution_minutes": -1}, "events": []},
    )
    done = sla("replay", case)
    assert done.returncode == 2
    assert f"{case}: policy.resolution_minutes: -1" in done.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    done = sla("replay", broken)
    assert done.returncode == 2 and f"{broken}: is not valid JSON" in done.stderr
    done = sla("replay", tmp_path / "missing.json")
    assert done.returncode == 2 and "missing.json: cannot be read" in done.stderr


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [*WHATIF_ROWS[:2], ("WO-A", local("Mon 09:00"), "agent_reply", None)],
            "events[2].at: '2026-09-28T01:00:00Z' is before the previous event",
        ),
        ([*WHATIF_ROWS[:2], ("WO-A", local("Mon 10:00"), "fax", None)], "events[2].type: 'fax'"),
        (
            [*WHATIF_ROWS[:2], ("WO-A", local("Mon 10:00"), "status", "reopened")],
            "events[2].status: 'reopened' is not a status",
        ),
        ([("WO-X", local("Mon 10:00"), "agent_reply", None)], "events[0].type: 'agent_reply'"),
        (
            [*WHATIF_ROWS[:2], ("WO-A", local("Mon 10:00"), "status", None)],
            "events[2].status: None is missing",
        ),
        (
            [*WHATIF_ROWS[:2], ("WO-A", "2026-09-28T10:00:00", "agent_reply", None)],
            "events[2].at: '2026-09-28T10:00:00' is a naive time",
        ),
        (
            [*WHATIF_ROWS[:2], ("WO-A", "2026-09-31T10:00:00Z", "agent_reply", None)],
            "events[2].at: '2026-09-31T10:00:00Z' is not an ISO 8601 instant",
        ),
    ],
)
def test_bad_events_file_exits_2(
    files: dict[str, Path],
    tmp_path: Path,
    rows: list[tuple[str, str, str, str | None]],
    message: str,
) -> None:
    events = _csv(tmp_path / "events.csv", rows)
    done = sla("whatif", events, "--calendar", files["calendar"], "--policy", files["policy"])
    assert done.returncode == 2
    assert f"{events}: {message}" in done.stderr


def test_naive_parquet_timestamps_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    from datetime import datetime

    events = tmp_path / "naive.parquet"
    naive = pa.array([datetime(2026, 9, 28, 8, 30)], pa.timestamp("s"))  # noqa: DTZ001
    pq.write_table(_table([("WO-A", "", "created", "new")], naive), events)
    done = sla("whatif", events, "--calendar", files["calendar"], "--policy", files["policy"])
    assert done.returncode == 2
    assert f"{events}: events[0].at: '2026-09-28 08:30:00' is a naive time" in done.stderr


def test_events_file_missing_column_exits_2(files: dict[str, Path], tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("order_id,at,kind,status\nWO-A,2026-09-28T00:30:00Z,created,new\n")
    done = sla("whatif", events, "--calendar", files["calendar"], "--policy", files["policy"])
    assert done.returncode == 2
    assert f"{events}: column 'type' is missing" in done.stderr


def test_whatif_reads_iso_forms_arrow_does_not(files: dict[str, Path], tmp_path: Path) -> None:
    # The same instants in ISO 8601 basic format (20260928T083000+0800): Arrow's fast
    # parser refuses them, Python's reads them; the counts must not change.
    def basic(text: str) -> str:
        return text.replace("-", "").replace(":", "")

    rows = [(o, basic(t), k, s) for o, t, k, s in WHATIF_ROWS]
    assert rows[0][1] == "20260928T070000+0800"
    events = _csv(tmp_path / "events.csv", rows)
    done = sla("whatif", events, "--calendar", files["calendar"], "--policy", files["policy"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["policy"] == EXPECTED_POLICY
