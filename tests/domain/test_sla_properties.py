"""Hypothesis checks of the vectorised replay against a plain, event-by-event reading of
rules 1–9; batch replay against single replays; and "a pause never makes a due time earlier".

The oracle below is deliberately naive: it walks the events one by one as the issue's
text reads, and finds each deadline by bisection on "business time used since the
clock's start, minus the pauses before the current one" with ``between`` alone — no
cumulative index, no inverse.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from touchpoint.domain.calendar import BusinessCalendar, format_instant
from touchpoint.domain.sla import (
    EventType,
    OrderStatus,
    SlaPolicy,
    TimelineEvent,
    Timelines,
    replay,
    replay_many,
)

WORKDAY = [["08:30", "12:00"], ["13:30", "17:30"]]
CALENDARS = [
    BusinessCalendar.from_json(
        {
            "timezone": "Asia/Shanghai",
            "hours": {d: WORKDAY for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-10-01", "2026-10-02"],
            "special_days": {"2026-10-11": WORKDAY},
        }
    ),
    BusinessCalendar.from_json(
        {
            "timezone": "Europe/Berlin",
            "hours": {
                "fri": [["09:00", "17:00"]],
                "sat": [["00:00", "24:00"]],
                "sun": [["01:00", "04:00"]],
            },
        }
    ),
]
START = datetime(2026, 9, 25, tzinfo=UTC)  # Berlin's fall-back Sunday is a month later


def _text(t: datetime | None) -> str | None:
    return None if t is None else format_instant(t)


def oracle(
    calendar: BusinessCalendar, policy: SlaPolicy, events: list[TimelineEvent], now: datetime | None
) -> dict[str, object]:
    n = len(events)
    status: list[OrderStatus] = []
    for e in events:
        status.append(e.status if e.status is not None else status[-1])
    used = [0] * n  # unpaused business seconds from creation to each event
    for i in range(1, n):
        gap = 0 if status[i - 1].is_paused else calendar.between(events[i - 1].at, events[i].at)
        used[i] = used[i - 1] + gap
    paused = status[-1].is_paused
    pauses: list[tuple[datetime, datetime | None]] = []
    for i in range(n):
        entering = status[i].is_paused and (i == 0 or not status[i - 1].is_paused)
        leaving = i > 0 and status[i - 1].is_paused and not status[i].is_paused
        if entering:
            pauses.append((events[i].at, None))
        if leaving:
            pauses[-1] = (pauses[-1][0], events[i].at)
    paused_since = pauses[-1][0] if paused else None
    # Rule 8: deadlines are computed as if the current pause had not begun.
    past_pauses = [(a, b) for a, b in pauses if b is not None]

    def used_since(start: datetime, t: datetime) -> int:
        total = calendar.between(start, t)
        for a, b in past_pauses:
            lo, hi = max(a, start), min(b, t)
            if lo < hi:
                total -= calendar.between(lo, hi)
        return total

    def deadline(start: datetime, minutes: int) -> datetime:
        lo, hi = 0, 200 * 86_400  # seconds after start; the answer is the least with enough
        while lo < hi:
            mid = (lo + hi) // 2
            if used_since(start, start + timedelta(seconds=mid)) >= minutes * 60:
                hi = mid
            else:
                lo = mid + 1
        return start + timedelta(seconds=lo)

    first_reply = next((i for i, e in enumerate(events) if e.type is EventType.AGENT_REPLY), None)
    resolution_at: int | None = None
    clock: int | None = None
    longest: int | None = None
    from_customer = policy.next_update_from.value == "customer_message"
    for i, e in enumerate(events):
        before = status[i - 1] if i else None
        resolution = status[i].is_done and not (before is not None and before.is_done)
        reopen = before is not None and before.is_done and not status[i].is_done
        if resolution:
            resolution_at = i
        if reopen:
            resolution_at = None
        stops: bool
        if from_customer:
            if e.type is EventType.CUSTOMER_MESSAGE and clock is None:
                clock = i
            stops = e.type is EventType.AGENT_REPLY or resolution
            restarts = False
        else:
            if e.type is EventType.CREATED:
                clock = i
            counted = e.type is EventType.AGENT_REPLY and not status[i].is_done
            stops = counted or resolution
            restarts = counted or reopen
        if stops and clock is not None:
            span = used[i] - used[clock]
            longest = span if longest is None else max(longest, span)
            clock = None
        if restarts:
            clock = i
    done = status[-1].is_done

    def limit() -> datetime | None:
        if now is None:
            return None
        return min(now, paused_since) if paused_since is not None else now

    def target(
        minutes: int | None, pending_from: int | None, met: int | None, used_s: int | None
    ) -> tuple[dict[str, object] | None, datetime | None]:
        if minutes is None:
            return None, None
        due = None if pending_from is None else deadline(events[pending_from].at, minutes)
        left = None if used_s is None else minutes - used_s // 60
        cut = limit()
        breached = (left is not None and left < 0) or (
            due is not None and cut is not None and due < cut
        )
        return {
            "target_minutes": minutes,
            "due_at": _text(due),
            "met_at": None if met is None else _text(events[met].at),
            "used_minutes": None if used_s is None else used_s // 60,
            "left_minutes": left,
            "breached": breached,
        }, due

    fr_used = used[first_reply] if first_reply is not None else (used[-1] if done else None)
    fr, fr_due = target(
        policy.first_response_minutes,
        0 if first_reply is None and not done else None,
        first_reply,
        fr_used,
    )
    nu, nu_due = target(
        policy.next_update_minutes, clock if clock is not None and not done else None, None, longest
    )
    if nu is not None:
        nu["started_at"] = None if clock is None else _text(events[clock].at)
    res, res_due = target(
        policy.resolution_minutes,
        None if done else 0,
        resolution_at if done else None,
        used[resolution_at] if done and resolution_at is not None else None,
    )
    dues = [d for d in (fr_due, nu_due, res_due) if d is not None]
    return {
        "status": status[-1].value,
        "paused": paused,
        "paused_since": _text(paused_since),
        "next_escalation_at": None if paused or not dues else _text(min(dues)),
        "first_response": fr,
        "next_update": nu,
        "resolution": res,
    }


# Weighted so that pauses, resolutions, reopens and replies while paused are common.
KINDS = [
    EventType.CUSTOMER_MESSAGE,
    EventType.CUSTOMER_MESSAGE,
    EventType.AGENT_REPLY,
    EventType.AGENT_REPLY,
    EventType.INTERNAL_NOTE,
    EventType.STATUS,
    EventType.STATUS,
    EventType.STATUS,
]
TO = [
    OrderStatus.IN_PROGRESS,
    OrderStatus.IN_PROGRESS,
    OrderStatus.WAITING_CUSTOMER,
    OrderStatus.WAITING_THIRD_PARTY,
    OrderStatus.RESOLVED,
    OrderStatus.RESOLVED,
    OrderStatus.CLOSED,
    OrderStatus.ASSIGNED,
]
GAPS = [0, 1, 15, 60, 200, 600, 1_500, 4_000]


@st.composite
def timelines(draw: st.DrawFn) -> list[TimelineEvent]:
    t = START + timedelta(minutes=draw(st.integers(0, 10 * 1_440)))
    events = [TimelineEvent(t, EventType.CREATED, draw(st.sampled_from(list(OrderStatus))))]
    for _ in range(draw(st.integers(0, 12))):
        t += timedelta(minutes=draw(st.sampled_from(GAPS)))
        kind = draw(st.sampled_from(KINDS))
        status = draw(st.sampled_from(TO)) if kind is EventType.STATUS else None
        events.append(TimelineEvent(t, kind, status))
    return events


policies = st.builds(
    SlaPolicy,
    first_response_minutes=st.one_of(st.none(), st.sampled_from([0, 30, 60, 480])),
    next_update_minutes=st.one_of(st.none(), st.sampled_from([0, 60, 120, 900])),
    next_update_from=st.sampled_from(["customer_message", "agent_reply"]),
    resolution_minutes=st.one_of(st.none(), st.sampled_from([60, 480, 2_000])),
)
# "now" around the end of the timeline: before it, at it, soon after, much later.
now_offsets = st.one_of(st.none(), st.sampled_from([-60, 0, 30, 600, 3_000, 20_000]))


def _now(events: list[TimelineEvent], offset: int | None) -> datetime | None:
    return None if offset is None else events[-1].at + timedelta(minutes=offset)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(CALENDARS), policies, timelines(), now_offsets)
def test_replay_matches_the_event_by_event_oracle(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    events: list[TimelineEvent],
    offset: int | None,
) -> None:
    now = _now(events, offset)
    assert replay(calendar, policy, events, now).to_json() == oracle(calendar, policy, events, now)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(CALENDARS),
    policies,
    st.lists(timelines(), min_size=1, max_size=6),
    now_offsets,
)
def test_batch_equals_single_replays(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    orders: list[list[TimelineEvent]],
    offset: int | None,
) -> None:
    now = _now(orders[0], offset)
    # Interleave the orders' rows as an export sorted by time might; each order keeps
    # its own order. The batch must group them and replay each exactly as alone.
    rows = [(j, k) for j, events in enumerate(orders) for k in range(len(events))]
    rows.sort(key=lambda jk: (orders[jk[0]][jk[1]].at, jk[1]))
    flat = [orders[j][k] for j, k in rows]
    batch = Timelines.from_columns(
        [j for j, _ in rows],
        [int(e.at.timestamp()) for e in flat],
        [e.type.code for e in flat],
        [-1 if e.status is None else e.status.code for e in flat],
    )
    result = replay_many(calendar, policy, batch, now)
    assert list(result.order_ids) == list(range(len(orders)))
    for j, events in enumerate(orders):
        assert result.report(j) == replay(calendar, policy, events, now)
    summary = result.summary()
    for counts in summary.values():
        if isinstance(counts, dict):
            assert counts["breached"] + counts["met"] + counts["pending"] == len(orders)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(CALENDARS),
    policies,
    timelines(),
    st.integers(0, 3 * 1_440),
    st.one_of(st.none(), st.integers(0, 3 * 1_440)),
)
def test_a_pause_never_makes_a_due_time_earlier(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    events: list[TimelineEvent],
    pause_after: int,
    pause_minutes: int | None,
) -> None:
    # Only talk, no status changes: then insert a wait (ended or still running).
    talk = [TimelineEvent(events[0].at, EventType.CREATED, OrderStatus.IN_PROGRESS)]
    talk += [e for e in events[1:] if e.type is not EventType.STATUS]
    begin = talk[0].at + timedelta(minutes=pause_after)
    inserted = [TimelineEvent(begin, EventType.STATUS, OrderStatus.WAITING_THIRD_PARTY)]
    if pause_minutes is not None:
        end = begin + timedelta(minutes=pause_minutes)
        inserted.append(TimelineEvent(end, EventType.STATUS, OrderStatus.IN_PROGRESS))
    paused = sorted(talk + inserted, key=lambda e: (e.at, e.type is EventType.STATUS))
    plain = replay(calendar, policy, talk)
    with_pause = replay(calendar, policy, paused)
    for name, report in plain.targets.items():
        other = with_pause.targets[name]
        if report.due_at is not None and other.due_at is not None:
            assert other.due_at >= report.due_at
