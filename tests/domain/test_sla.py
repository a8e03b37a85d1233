"""SLA replay of issue 6: hand-worked timelines for rules 1–9 and timeline validation.

Unless a case says otherwise the calendar is Asia/Shanghai (UTC+8), Mon–Fri
08:30–12:00 and 13:30–17:30 (450 business minutes a day), and the week is
Mon 2026-09-28 … Wed 2026-09-30. Times in the comments are local; expected instants
are UTC (local − 8 h).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from touchpoint.domain.calendar import BusinessCalendar, parse_instant
from touchpoint.domain.sla import (
    EventType,
    OrderStatus,
    SlaInputError,
    SlaPolicy,
    TimelineError,
    TimelineEvent,
    Timelines,
    replay,
    replay_many,
    timeline_from_json,
)

WORKDAY = [["08:30", "12:00"], ["13:30", "17:30"]]
SHANGHAI = BusinessCalendar.from_json(
    {
        "timezone": "Asia/Shanghai",
        "hours": {d: WORKDAY for d in ("mon", "tue", "wed", "thu", "fri")},
    }
)
POLICY = SlaPolicy.from_json(
    {
        "first_response_minutes": 60,
        "next_update_minutes": 120,
        "next_update_from": "customer_message",
        "resolution_minutes": 480,
    }
)
AGENT_POLICY = SlaPolicy.from_json(POLICY.to_json() | {"next_update_from": "agent_reply"})
DAYS = {"Mon": "2026-09-28", "Tue": "2026-09-29", "Wed": "2026-09-30"}


def ev(when: str, kind: str, status: str | None = None) -> dict[str, object]:
    """``ev("Mon 08:30", "created", "new")``: an event JSON at a Shanghai wall time."""
    day, clock = when.split()
    out: dict[str, object] = {"at": f"{DAYS[day]}T{clock}:00+08:00", "type": kind}
    if kind == "created":
        out["status"] = status
    elif kind == "status":
        out["to"] = status
    return out


def target(
    minutes: int,
    due: str | None = None,
    met: str | None = None,
    used: int | None = None,
    breached: bool = False,
) -> dict[str, object]:
    return {
        "target_minutes": minutes,
        "due_at": due,
        "met_at": met,
        "used_minutes": used,
        "left_minutes": None if used is None else minutes - used,
        "breached": breached,
    }


def next_update(
    minutes: int,
    due: str | None = None,
    used: int | None = None,
    breached: bool = False,
    started: str | None = None,
) -> dict[str, object]:
    return target(minutes, due, None, used, breached) | {"started_at": started}


def report(
    status: str,
    first_response: dict[str, object] | None,
    next_update_: dict[str, object] | None,
    resolution: dict[str, object] | None,
    *,
    paused_since: str | None = None,
    next_escalation: str | None = None,
) -> dict[str, object]:
    return {
        "status": status,
        "paused": paused_since is not None,
        "paused_since": paused_since,
        "next_escalation_at": next_escalation,
        "first_response": first_response,
        "next_update": next_update_,
        "resolution": resolution,
    }


# Case A: created outside hours, first reply late.
A = [ev("Mon 07:00", "created", "new"), ev("Mon 09:45", "agent_reply")]
# Case B: a pause across two nights, then resolved.
B = [
    ev("Mon 09:00", "created", "new"),
    ev("Mon 09:20", "agent_reply"),
    ev("Mon 16:00", "status", "waiting_customer"),
    ev("Wed 10:00", "status", "in_progress"),
    ev("Wed 11:00", "status", "resolved"),
]
# Case C: resolved, reopened next morning, resolved again.
C = [
    ev("Mon 08:30", "created", "new"),
    ev("Mon 08:40", "agent_reply"),
    ev("Mon 10:30", "status", "resolved"),
    ev("Tue 09:00", "status", "in_progress"),
    ev("Tue 11:00", "status", "resolved"),
]
# Case D: created waiting on a third party, an agent reply while waiting.
D = [ev("Mon 08:30", "created", "waiting_third_party"), ev("Mon 10:00", "agent_reply")]
# Case E: repeated customer messages before an answer, then a new question.
E = [
    ev("Mon 08:30", "created", "new"),
    ev("Mon 08:35", "agent_reply"),
    ev("Mon 09:00", "customer_message"),
    ev("Mon 09:30", "customer_message"),
    ev("Mon 10:00", "customer_message"),
    ev("Mon 11:30", "agent_reply"),
    ev("Mon 14:00", "customer_message"),
]
# Case F: a customer message while resolved, then a reopen.
F = [
    ev("Mon 08:30", "created", "new"),
    ev("Mon 08:45", "agent_reply"),
    ev("Mon 09:00", "status", "resolved"),
    ev("Mon 15:00", "customer_message"),
    ev("Tue 09:00", "status", "in_progress"),
]
# Case G: resolved before any reply, reopened, replied.
G = [
    ev("Mon 08:30", "created", "new"),
    ev("Mon 09:30", "status", "resolved"),
    ev("Mon 14:00", "status", "in_progress"),
    ev("Mon 14:30", "agent_reply"),
]
# Case H: the same timeline under both next-update modes.
H = [
    ev("Mon 08:30", "created", "new"),
    ev("Mon 09:00", "customer_message"),
    ev("Mon 10:00", "agent_reply"),
    ev("Mon 10:30", "customer_message"),
]

CASES = [
    pytest.param(
        POLICY,
        A,
        None,
        report(
            "new",
            # clock from the 08:30 opening; reply 09:45 → 75 used, 15 over
            target(60, met="2026-09-28T01:45:00Z", used=75, breached=True),
            # no customer message: nothing due, no span
            next_update(120),
            # 480 from Mon 08:30: Mon gives 450, Tue 08:30 + 30 = 09:00
            target(480, due="2026-09-29T01:00:00Z"),
            next_escalation="2026-09-29T01:00:00Z",
        ),
        id="A created outside hours",
    ),
    pytest.param(
        POLICY,
        B[:3],
        "2026-09-30T00:00:00Z",
        report(
            "waiting_customer",
            target(60, met="2026-09-28T01:20:00Z", used=20),  # 09:00 → 09:20
            next_update(120),
            # paused at Mon 16:00 with 180 + 150 = 330 used; as if no pause: 90 more
            # to 17:30, Tue 08:30 + 60 = 09:30. Due before now but not before the clock
            # stopped (Mon 16:00), so not breached (rule 9).
            target(480, due="2026-09-29T01:30:00Z"),
            paused_since="2026-09-28T08:00:00Z",
        ),
        id="B paused across nights: due as if the pause had not begun",
    ),
    pytest.param(
        POLICY,
        B[:4],
        None,
        report(
            "in_progress",
            target(60, met="2026-09-28T01:20:00Z", used=20),
            next_update(120),
            # 330 used, resumed Wed 10:00: 120 to 12:00, 13:30 + 30 = 14:00
            target(480, due="2026-09-30T06:00:00Z"),
            next_escalation="2026-09-30T06:00:00Z",
        ),
        id="B resumed after two nights",
    ),
    pytest.param(
        POLICY,
        B,
        None,
        report(
            "resolved",
            target(60, met="2026-09-28T01:20:00Z", used=20),
            next_update(120),
            # 330 Mon + Wed 10:00–11:00 60 = 390
            target(480, met="2026-09-30T03:00:00Z", used=390),
            paused_since="2026-09-30T03:00:00Z",
        ),
        id="B resolved",
    ),
    pytest.param(
        AGENT_POLICY,
        C[:3],
        None,
        report(
            "resolved",
            target(60, met="2026-09-28T00:40:00Z", used=10),
            # spans 08:30→08:40 (10) and 08:40→10:30 (110, stopped by the resolution)
            next_update(120, used=110),
            target(480, met="2026-09-28T02:30:00Z", used=120),  # 08:30 → 10:30
            paused_since="2026-09-28T02:30:00Z",
        ),
        id="C resolved",
    ),
    pytest.param(
        AGENT_POLICY,
        C[:4],
        None,
        report(
            "in_progress",
            target(60, met="2026-09-28T00:40:00Z", used=10),
            # reopen restarts the clock at Tue 09:00: due 11:00
            next_update(120, due="2026-09-29T03:00:00Z", used=110, started="2026-09-29T01:00:00Z"),
            # reopen clears met_at; 120 used, 360 left from Tue 09:00: 180 to 12:00,
            # 13:30 + 180 = 16:30
            target(480, due="2026-09-29T08:30:00Z"),
            next_escalation="2026-09-29T03:00:00Z",
        ),
        id="C reopened after resolve",
    ),
    pytest.param(
        AGENT_POLICY,
        C,
        None,
        report(
            "resolved",
            target(60, met="2026-09-28T00:40:00Z", used=10),
            # the reopened span Tue 09:00 → 11:00 is 120: the longest, exactly on target
            next_update(120, used=120),
            # 120 Mon + 120 Tue; the night while resolved was a pause
            target(480, met="2026-09-29T03:00:00Z", used=240),
            paused_since="2026-09-29T03:00:00Z",
        ),
        id="C resolved again",
    ),
    pytest.param(
        AGENT_POLICY,
        D,
        None,
        report(
            "waiting_third_party",
            # the reply while waiting meets first response; no unpaused time passed
            target(60, met="2026-09-28T02:00:00Z", used=0),
            # span creation → reply is 0 (paused); the clock restarted during the pause
            # at 10:00 runs as if from its start: due 12:00
            next_update(120, due="2026-09-28T04:00:00Z", used=0, started="2026-09-28T02:00:00Z"),
            # paused from creation: as if it ran from 08:30 → Tue 09:00
            target(480, due="2026-09-29T01:00:00Z"),
            paused_since="2026-09-28T00:30:00Z",
        ),
        id="D agent reply while waiting, created paused",
    ),
    pytest.param(
        POLICY,
        D,
        None,
        report(
            "waiting_third_party",
            target(60, met="2026-09-28T02:00:00Z", used=0),
            next_update(120),  # customer_message mode: no message, nothing due
            target(480, due="2026-09-29T01:00:00Z"),
            paused_since="2026-09-28T00:30:00Z",
        ),
        id="D under customer_message mode",
    ),
    pytest.param(
        POLICY,
        E,
        None,
        report(
            "new",
            target(60, met="2026-09-28T00:35:00Z", used=5),
            # the clock started at the first message 09:00 (09:30 and 10:00 do not move
            # it) and stopped at 11:30: 150, 30 over; a new one runs from 14:00 → 16:00
            next_update(
                120,
                due="2026-09-28T08:00:00Z",
                used=150,
                breached=True,
                started="2026-09-28T06:00:00Z",
            ),
            target(480, due="2026-09-29T01:00:00Z"),
            next_escalation="2026-09-28T08:00:00Z",
        ),
        id="E repeated customer messages before an answer",
    ),
    pytest.param(
        POLICY,
        F[:4],
        None,
        report(
            "resolved",
            target(60, met="2026-09-28T00:45:00Z", used=15),
            # the message while resolved starts a clock that counts no time yet
            next_update(120, started="2026-09-28T07:00:00Z"),
            target(480, met="2026-09-28T01:00:00Z", used=30),
            paused_since="2026-09-28T01:00:00Z",
        ),
        id="F customer message while resolved",
    ),
    pytest.param(
        POLICY,
        F,
        None,
        report(
            "in_progress",
            target(60, met="2026-09-28T00:45:00Z", used=15),
            # counts from the reopen Tue 09:00: due 11:00
            next_update(120, due="2026-09-29T03:00:00Z", started="2026-09-28T07:00:00Z"),
            # 30 used; 450 more from Tue 09:00: 180 + 240 = 420 on Tue, Wed 08:30 + 30
            target(480, due="2026-09-30T01:00:00Z"),
            next_escalation="2026-09-29T03:00:00Z",
        ),
        id="F reopened after a message while resolved",
    ),
    pytest.param(
        POLICY,
        G[:2],
        None,
        report(
            "resolved",
            # resolved before any reply: the span ends at the resolution, met_at null
            target(60, used=60),
            next_update(120),
            target(480, met="2026-09-28T01:30:00Z", used=60),
            paused_since="2026-09-28T01:30:00Z",
        ),
        id="G resolved before the first response",
    ),
    pytest.param(
        POLICY,
        G[:3],
        "2026-09-28T06:10:00Z",
        report(
            "in_progress",
            # resumed by the reopen with 60 already used: due when 60 was reached,
            # at the resolution 09:30; before now (14:10) → breached
            target(60, due="2026-09-28T01:30:00Z", breached=True),
            next_update(120),
            # 60 used, 420 from 14:00: 210 to 17:30, Tue 08:30–12:00 210 → due at the
            # range end 12:00, not 13:30
            target(480, due="2026-09-29T04:00:00Z"),
            next_escalation="2026-09-28T01:30:00Z",
        ),
        id="G reopened, first response overdue with --now",
    ),
    pytest.param(
        POLICY,
        G,
        None,
        report(
            "in_progress",
            # 60 before the resolution + 14:00 → 14:30 = 90
            target(60, met="2026-09-28T06:30:00Z", used=90, breached=True),
            next_update(120),
            target(480, due="2026-09-29T04:00:00Z"),
            next_escalation="2026-09-29T04:00:00Z",
        ),
        id="G replied after the reopen",
    ),
    pytest.param(
        AGENT_POLICY,
        [*G[:2], ev("Mon 10:00", "agent_reply")],
        None,
        report(
            "resolved",
            # a reply while resolved still meets first response (paused: 60 used)
            target(60, met="2026-09-28T02:00:00Z", used=60),
            # ...but does not start the agent_reply clock: 08:30 → 09:30 is the only span
            next_update(120, used=60),
            target(480, met="2026-09-28T01:30:00Z", used=60),
            paused_since="2026-09-28T01:30:00Z",
        ),
        id="G reply while resolved",
    ),
    pytest.param(
        POLICY,
        H,
        None,
        report(
            "new",
            target(60, met="2026-09-28T02:00:00Z", used=90, breached=True),
            # message 09:00 → reply 10:00 = 60; new clock from 10:30: 90 to 12:00, 13:30 + 30
            next_update(120, due="2026-09-28T06:00:00Z", used=60, started="2026-09-28T02:30:00Z"),
            target(480, due="2026-09-29T01:00:00Z"),
            next_escalation="2026-09-28T06:00:00Z",
        ),
        id="H next update from customer_message",
    ),
    pytest.param(
        AGENT_POLICY,
        H,
        None,
        report(
            "new",
            target(60, met="2026-09-28T02:00:00Z", used=90, breached=True),
            # creation 08:30 → reply 10:00 = 90; restarted at 10:00, 120 more runs out
            # exactly at 12:00, the range end
            next_update(120, due="2026-09-28T04:00:00Z", used=90, started="2026-09-28T02:00:00Z"),
            target(480, due="2026-09-29T01:00:00Z"),
            next_escalation="2026-09-28T04:00:00Z",
        ),
        id="H next update from agent_reply",
    ),
]


@pytest.mark.parametrize(("policy", "events", "now", "expected"), CASES)
def test_replay(
    policy: SlaPolicy, events: list[dict[str, object]], now: str | None, expected: dict[str, object]
) -> None:
    at = None if now is None else parse_instant(now, "now")
    got = replay(SHANGHAI, policy, timeline_from_json(events), at).to_json()
    assert got == expected


UNANSWERED = [ev("Mon 16:30", "created", "new")]


@pytest.mark.parametrize(
    ("now", "breached"),
    [
        ("2026-09-28T09:29:59Z", False),  # due at closing 17:30 = 09:30Z
        ("2026-09-28T09:30:00Z", False),  # due_at == now is not "before now"
        ("2026-09-28T09:30:01Z", True),
        (None, False),  # without --now only left_minutes < 0 breaches
    ],
)
def test_now_breach_at_closing_time(now: str | None, breached: bool) -> None:
    at = None if now is None else parse_instant(now, "now")
    got = replay(SHANGHAI, POLICY, timeline_from_json(UNANSWERED), at)
    assert got.first_response is not None
    assert got.first_response.to_json() == target(60, due="2026-09-28T09:30:00Z", breached=breached)
    assert got.next_escalation_at == parse_instant("2026-09-28T09:30:00Z", "x")


def test_remembered_replay_still_applies_each_now() -> None:
    # replay() remembers everything but rule 9 per (calendar, policy, timeline): the same
    # timeline replayed at instants either side of its deadline must still flip the breach,
    # and agree with a fresh batch replay each time.
    events = timeline_from_json(UNANSWERED)
    for now, breached in (
        ("2026-09-28T09:30:01Z", True),
        ("2026-09-28T09:29:59Z", False),
        ("2026-09-28T09:30:01Z", True),
    ):
        at = parse_instant(now, "now")
        got = replay(SHANGHAI, POLICY, events, at)
        fresh = replay_many(SHANGHAI, POLICY, Timelines.from_events([events]), at).report(0)
        assert got == fresh
        assert got.first_response is not None and got.first_response.breached is breached
    # An equal calendar that is another object is replayed on its own, with equal results.
    twin = BusinessCalendar.from_json(SHANGHAI.to_json())
    assert twin is not SHANGHAI
    assert replay(twin, POLICY, events, None) == replay(SHANGHAI, POLICY, events, None)


# A paused order (waiting on the customer since Mon 11:00) with every target pending.
PAUSED = [
    ev("Mon 08:30", "created", "new"),
    ev("Mon 09:00", "customer_message"),
    ev("Mon 11:00", "status", "waiting_customer"),
]


@pytest.mark.parametrize("policy", [POLICY, AGENT_POLICY])
@pytest.mark.parametrize(
    "case", [A, B, C, D, E, F, G, H, PAUSED, UNANSWERED], ids=[*"ABCDEFGH", "paused", "unanswered"]
)
def test_remembered_reports_agree_at_every_now(
    policy: SlaPolicy, case: list[dict[str, object]]
) -> None:
    # replay() keeps an order's report per side of each pending due instant (and of
    # paused_since); at every instant around those, in an order that comes back to
    # sides it has seen, it must give what a fresh batch replay gives.
    events = timeline_from_json(case)
    plain = replay(SHANGHAI, policy, events)
    edges = [plain.paused_since, *(t.due_at for t in plain.targets.values())]
    seconds = sorted({int(e.timestamp()) for e in edges if e is not None})
    first = int(events[0].at.timestamp())
    probes = [first - 86_400, first + 7 * 86_400]
    for edge in seconds:
        probes += [edge - 1, edge, edge + 1]
    order = probes + probes[::-1] + [None] + probes[::2]
    for second in order:
        now = None if second is None else datetime.fromtimestamp(second, UTC)
        fresh = replay_many(SHANGHAI, policy, Timelines.from_events([events]), now).report(0)
        assert replay(SHANGHAI, policy, events, now) == fresh, (second, seconds)


def test_dst_berlin_and_new_york_and_untracked_targets() -> None:
    berlin = BusinessCalendar.from_json(
        {"timezone": "Europe/Berlin", "hours": {d: [["09:00", "17:00"]] for d in ("mon", "fri")}}
    )
    only_resolution = SlaPolicy.from_json({"resolution_minutes": 480})
    events = timeline_from_json(
        [
            {"at": "2026-03-27T13:00:00+01:00", "type": "created", "status": "new"},
            {"at": "2026-03-27T15:00:00+01:00", "type": "status", "to": "waiting_customer"},
            {"at": "2026-03-30T10:00:00+02:00", "type": "status", "to": "in_progress"},
        ]
    )
    got = replay(berlin, only_resolution, events).to_json()
    # Fri 13:00–15:00 CET = 120; resumed Mon 10:00 CEST with 360 left → 16:00 CEST = 14:00Z
    assert got["resolution"] == target(480, due="2026-03-30T14:00:00Z")
    assert got["first_response"] is None and got["next_update"] is None
    new_york = BusinessCalendar.from_json(
        {"timezone": "America/New_York", "hours": {d: [["09:00", "17:00"]] for d in ("mon", "fri")}}
    )
    first_only = SlaPolicy(first_response_minutes=60)
    events = timeline_from_json(
        [{"at": "2026-10-30T16:30:00-04:00", "type": "created", "status": "new"}]
    )
    got = replay(new_york, first_only, events).to_json()
    # Fri 16:30–17:00 EDT = 30; DST ends Sunday; Mon 09:00 EST + 30 = 09:30 EST = 14:30Z
    assert got["first_response"] == target(60, due="2026-11-02T14:30:00Z")


def test_same_instant_keeps_listed_order() -> None:
    # A message and a reply at the same instant: listed message → reply answers it.
    answered = [
        ev("Mon 08:30", "created", "new"),
        ev("Mon 09:00", "customer_message"),
        ev("Mon 09:00", "agent_reply"),
    ]
    got = replay(SHANGHAI, POLICY, timeline_from_json(answered)).to_json()
    assert got["next_update"] == next_update(120, used=0)
    # Listed the other way round, the message is still waiting: due 11:00 = 03:00Z.
    got = replay(
        SHANGHAI, POLICY, timeline_from_json([answered[0], answered[2], answered[1]])
    ).to_json()
    assert got["next_update"] == next_update(
        120, due="2026-09-28T03:00:00Z", started="2026-09-28T01:00:00Z"
    )


def test_internal_note_never_affects_the_clock() -> None:
    with_note = [*H[:2], ev("Mon 09:10", "internal_note"), *H[2:]]
    assert replay(SHANGHAI, POLICY, timeline_from_json(with_note)) == replay(
        SHANGHAI, POLICY, timeline_from_json(H)
    )


def test_status_predicates() -> None:
    assert [s for s in OrderStatus if s.is_paused] == [
        OrderStatus.WAITING_CUSTOMER,
        OrderStatus.WAITING_THIRD_PARTY,
        OrderStatus.RESOLVED,
        OrderStatus.CLOSED,
    ]
    assert [s for s in OrderStatus if s.is_done] == [OrderStatus.RESOLVED, OrderStatus.CLOSED]
    assert not OrderStatus.IN_PROGRESS.is_waiting


def test_policy_json_round_trip_and_errors() -> None:
    assert SlaPolicy.from_json(POLICY.to_json()) == POLICY
    assert SlaPolicy.from_json({}) == SlaPolicy()
    bad: list[tuple[dict[str, object], str]] = [
        ({"first_response_minutes": -5}, "first_response_minutes"),
        ({"resolution_minutes": "480"}, "resolution_minutes"),
        ({"next_update_minutes": True}, "next_update_minutes"),
        ({"next_update_from": "phone"}, "next_update_from"),
        ({"first_response": 60}, "first_response"),
    ]
    for data, field in bad:
        with pytest.raises(SlaInputError) as raised:
            SlaPolicy.from_json(data)
        assert raised.value.field == field


BAD_TIMELINES = [
    ([], "events[0].type", "created"),
    ([ev("Mon 08:30", "agent_reply")], "events[0].type", "'agent_reply' is the order's first"),
    (
        [ev("Mon 08:30", "created", "new"), ev("Mon 09:00", "created", "new")],
        "events[1].type",
        "appears twice",
    ),
    (
        [ev("Mon 09:30", "created", "new"), ev("Mon 09:00", "agent_reply")],
        "events[1].at",
        "'2026-09-28T01:00:00Z' is before the previous event",
    ),
    (
        [ev("Mon 08:30", "created", "new"), {"at": "2026-09-28T09:00:00+08:00", "type": "call"}],
        "events[1].type",
        "'call' is not an event type",
    ),
    ([ev("Mon 08:30", "created", "open")], "events[0].status", "'open' is not a status"),
    (
        [ev("Mon 08:30", "created", "new"), ev("Mon 09:00", "status", "done")],
        "events[1].to",
        "'done' is not a status",
    ),
    (
        [ev("Mon 08:30", "created", "new"), ev("Mon 09:00", "status", None)],
        "events[1].to",
        "is missing",
    ),
    (
        [{"at": "2026-09-28T08:30:00", "type": "created", "status": "new"}],
        "events[0].at",
        "'2026-09-28T08:30:00' is a naive time",
    ),
    (
        [{"at": "2026-09-31T08:30:00Z", "type": "created", "status": "new"}],
        "events[0].at",
        "'2026-09-31T08:30:00Z' is not an ISO 8601 instant",
    ),
    (
        [ev("Mon 08:30", "created", "new"), ev("Mon 09:00", "agent_reply") | {"status": "new"}],
        "events[1].status",
        "is not allowed",
    ),
]


@pytest.mark.parametrize(("events", "field", "message"), BAD_TIMELINES)
def test_bad_timeline_names_index_field_and_value(
    events: list[dict[str, object]], field: str, message: str
) -> None:
    with pytest.raises(SlaInputError) as raised:
        timeline_from_json(events)
    assert raised.value.field == field
    assert message in str(raised.value)
    if field.startswith("events["):
        assert isinstance(raised.value, TimelineError)


def test_timeline_event_checks_its_own_fields() -> None:
    now = parse_instant("2026-09-28T08:30:00Z", "x")
    with pytest.raises(SlaInputError, match="naive"):
        TimelineEvent(datetime(2026, 9, 28, 8, 30), EventType.CREATED, OrderStatus.NEW)  # noqa: DTZ001
    with pytest.raises(SlaInputError, match="status: None is missing"):
        TimelineEvent(now, EventType.CREATED)
    with pytest.raises(SlaInputError, match="not allowed"):
        TimelineEvent(now, EventType.AGENT_REPLY, OrderStatus.NEW)
    event = TimelineEvent(now, EventType.STATUS, OrderStatus.RESOLVED)
    assert event.to_json() == {"at": "2026-09-28T08:30:00Z", "type": "status", "to": "resolved"}
    assert TimelineEvent.from_json(event.to_json()) == event
