"""The clocks of a batch of timelines and each target's raw result (rules 1–7).

Per event: the status after it (forward fill), whether the clock is paused, and ``U``,
the cumulative unpaused business time. Per target: the event that started its pending
clock and the used time of its completed spans. Deadlines come after (``batch``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from touchpoint.domain.sla.policy import SlaPolicy
from touchpoint.domain.sla.timeline import Timelines
from touchpoint.domain.sla.vocabulary import (
    AGENT_REPLY_CODE,
    CUSTOMER_MESSAGE_CODE,
    DONE,
    NO_INSTANT,
    PAUSES,
    BoolArray,
    Int8Array,
    Int64Array,
    NextUpdateFrom,
)

__all__ = ["Clocks", "EventStates", "RawTarget", "raw_targets", "replay_clocks"]


def _last_flagged(flag: BoolArray) -> Int64Array:
    """For each event, the index of the last flagged event at or before it (``-1``: none)."""
    idx = np.where(flag, np.arange(len(flag), dtype=np.int64), -1)
    return np.maximum.accumulate(idx)


def _next_flagged(flag: BoolArray) -> Int64Array:
    """For each position ``0..n``, the first flagged event at or after it (``n``: none)."""
    n = len(flag)
    idx = np.where(flag, np.arange(n, dtype=np.int64), n)
    out = np.minimum.accumulate(idx[::-1])[::-1]
    return np.append(out, np.int64(n))


def _segment_max(values: Int64Array, starts: Int64Array) -> Int64Array:
    """The maximum of each order's slice ``values[starts[j]:starts[j + 1]]``."""
    return np.maximum.reduceat(values, starts) if len(values) else values


@dataclass(frozen=True, eq=False)
class Clocks:
    """Per-event and per-order quantities every target is computed from."""

    at: Int64Array  # event instants
    b: Int64Array  # B(at): calendar business seconds
    u: Int64Array  # cumulative unpaused business seconds
    starts: Int64Array  # first event of each order
    ends: Int64Array  # last event of each order
    anchor: Int64Array  # per order: last event at which the clock stopped or resumed
    done: BoolArray  # per order: resolved or closed at the end
    paused: BoolArray  # per order: paused at the end


@dataclass(frozen=True, eq=False)
class EventStates:
    """Per-event facts the target rules read besides the clocks."""

    kind: Int8Array  # event type codes
    first: BoolArray  # the order's first event (its created)
    order_of: Int64Array  # the order each event belongs to
    status: Int8Array  # status after each event
    done_after: BoolArray  # resolved or closed after each event
    resolution: BoolArray  # entering resolved/closed (also an order created resolved)
    reopen: BoolArray  # leaving resolved/closed


@dataclass(frozen=True, slots=True)
class RawTarget:
    """A target's raw result before deadlines are known."""

    minutes: int
    clock_start: Int64Array  # per order: event that started its pending clock (or -1)
    pending: BoolArray
    met_at: Int64Array
    started_at: Int64Array
    used_seconds: Int64Array


def replay_clocks(timelines: Timelines, b: Int64Array) -> tuple[Clocks, EventStates]:
    """The clocks and event states of a non-empty batch; ``b`` is ``B(at)`` per event."""
    n_events = timelines.n_events
    starts = timelines.order_starts
    ends = np.append(starts[1:] - 1, n_events - 1)
    first = np.zeros(n_events, dtype=bool)
    first[starts] = True
    order_of = np.repeat(
        np.arange(len(starts), dtype=np.int64), np.diff(np.append(starts, n_events))
    )

    # Status after each event: the last created/status value (every order opens with one).
    has_status = timelines.status >= 0
    status = timelines.status[_last_flagged(has_status)]
    paused_after = PAUSES[status]
    done_after = DONE[status]
    paused_before = np.concatenate(([False], paused_after[:-1])) & ~first
    done_before = np.concatenate(([False], done_after[:-1])) & ~first

    # Rule 2: business time counts between two events unless paused after the first.
    increments = np.diff(b, prepend=b[0])
    increments[first | paused_before] = 0
    u = np.cumsum(increments)

    # The clock changes at creation, at each pause start and at each resume.
    change = first | (paused_after != paused_before)
    clocks = Clocks(
        at=timelines.at,
        b=b,
        u=u,
        starts=starts,
        ends=ends,
        anchor=_last_flagged(change)[ends],
        done=done_after[ends],
        paused=paused_after[ends],
    )
    states = EventStates(
        kind=timelines.type,
        first=first,
        order_of=order_of,
        status=status,
        done_after=done_after,
        resolution=done_after & ~done_before,  # an order created resolved counts as resolved
        reopen=~done_after & done_before,
    )
    return clocks, states


def raw_targets(policy: SlaPolicy, c: Clocks, e: EventStates) -> dict[str, RawTarget]:
    """Each target the policy tracks, by name, in report order."""
    targets: dict[str, RawTarget] = {}
    if policy.first_response_minutes is not None:
        targets["first_response"] = _first_response(policy.first_response_minutes, c, e.kind)
    if policy.next_update_minutes is not None:
        if policy.next_update_from is NextUpdateFrom.CUSTOMER_MESSAGE:
            targets["next_update"] = _next_update_from_customer(policy.next_update_minutes, c, e)
        else:
            targets["next_update"] = _next_update_from_agent(policy.next_update_minutes, c, e)
    if policy.resolution_minutes is not None:
        targets["resolution"] = _resolution(policy.resolution_minutes, c, e.resolution)
    return targets


def _first_response(minutes: int, c: Clocks, kind: Int8Array) -> RawTarget:
    # Rule 3: met at the first agent reply, also one sent while paused.
    n_events = len(kind)
    first_reply = _next_flagged(kind == AGENT_REPLY_CODE)[c.starts]
    replied = first_reply <= c.ends
    reply = np.minimum(first_reply, n_events - 1)
    # Resolved while unmet: the span ends at that resolution; U no longer grows while done.
    used = np.where(
        replied, c.u[reply] - c.u[c.starts], np.where(c.done, c.u[c.ends] - c.u[c.starts], -1)
    )
    return RawTarget(
        minutes=minutes,
        clock_start=c.starts,
        pending=~replied & ~c.done,
        met_at=np.where(replied, c.at[reply], NO_INSTANT),
        started_at=np.full(len(c.starts), NO_INSTANT, dtype=np.int64),
        used_seconds=used,
    )


def _resolution(minutes: int, c: Clocks, resolution: BoolArray) -> RawTarget:
    # Rule 6: met on entering resolved/closed; a reopen clears it (so only the state at
    # the end matters), and the resolved interval was a pause (U did not grow).
    last = np.maximum(_last_flagged(resolution)[c.ends], 0)
    return RawTarget(
        minutes=minutes,
        clock_start=c.starts,
        pending=~c.done,
        met_at=np.where(c.done, c.at[last], NO_INSTANT),
        started_at=np.full(len(c.starts), NO_INSTANT, dtype=np.int64),
        used_seconds=np.where(c.done, c.u[last] - c.u[c.starts], -1),
    )


def _next_update_from_customer(minutes: int, c: Clocks, e: EventStates) -> RawTarget:
    # Rule 4: a clock starts at the first customer message after the last stop (a reply
    # or a resolution); later messages do not move it; the next stop ends the span.
    n = len(e.kind)
    stop = (e.kind == AGENT_REPLY_CODE) | e.resolution
    next_message = _next_flagged(e.kind == CUSTOMER_MESSAGE_CODE)
    last_stop = _last_flagged(stop)
    previous_stop = np.concatenate(([-1], last_stop[:-1]))
    # First event after the previous stop within the same order.
    lower = np.maximum(previous_stop, c.starts[e.order_of] - 1) + 1
    span_start = next_message[lower]
    completed = stop & (span_start < np.arange(n))
    spans = np.where(completed, c.u - c.u[np.minimum(span_start, n - 1)], -1)
    running_from = next_message[np.maximum(last_stop[c.ends], c.starts - 1) + 1]
    running = running_from <= c.ends
    start = np.minimum(running_from, n - 1)
    return RawTarget(
        minutes=minutes,
        clock_start=np.where(running, start, -1),
        pending=running & ~c.done,
        met_at=np.full(len(c.starts), NO_INSTANT, dtype=np.int64),
        started_at=np.where(running, c.at[start], NO_INSTANT),
        used_seconds=_segment_max(spans, c.starts),
    )


def _next_update_from_agent(minutes: int, c: Clocks, e: EventStates) -> RawTarget:
    # Rule 5: the clock (re)starts at creation, at each reply while not resolved/closed
    # and at a reopen; a reply ends the running span and a resolution stops the clock.
    n = len(e.kind)
    counted_reply = (e.kind == AGENT_REPLY_CODE) & ~e.done_after
    marker = e.first | counted_reply | e.reopen
    stop = counted_reply | e.resolution
    last_marker = _last_flagged(marker)
    # The span a stop ends began at the last marker strictly before it; an order created
    # resolved starts and stops at its creation (an empty span).
    began = np.where(e.first, np.arange(n), np.concatenate(([-1], last_marker[:-1])))
    spans = np.where(stop, c.u - c.u[np.maximum(began, 0)], -1)
    running = ~c.done
    start = last_marker[c.ends]
    return RawTarget(
        minutes=minutes,
        clock_start=np.where(running, start, -1),
        pending=running,
        met_at=np.full(len(c.starts), NO_INSTANT, dtype=np.int64),
        started_at=np.where(running, c.at[start], NO_INSTANT),
        used_seconds=_segment_max(spans, c.starts),
    )
