"""The desk's bridge to the SLA clock (issue 6): every SLA number comes from ``replay_many``.

Each order's timeline is stored as ``work_order_events`` rows. Many orders are loaded
in one set-based query as integer columns (order id, epoch second, type and status
codes, computed by the database), grouped by policy and replayed with one
``replay_many`` call per group, so that a sweep over a million open orders costs a
few numpy passes rather than a Python loop per order.

Modules: ``policies`` (parsed calendars and policies, a new order's choice),
``bulk`` (integer columns read in bulk), ``timeline`` (stored timelines, packed
events), ``batch`` (many orders replayed per policy) and ``reports`` (one order's
report, its JSON and cache columns).
"""

from touchpoint.services.sla_clock.batch import PolicyBatch, replay_batches
from touchpoint.services.sla_clock.bulk import (
    NULL_EPOCH,
    epoch_seconds,
    fetch_int_columns,
    fetch_rows,
    inline_constant,
    int_columns,
)
from touchpoint.services.sla_clock.policies import (
    ChosenPolicy,
    active_policies_column,
    choose_compiled_policy,
    compiled_from_text,
    compiled_policy,
)
from touchpoint.services.sla_clock.reports import (
    refresh_sla_cache,
    replay_order,
    sla_cache_values,
    sla_json,
    sla_report,
    sla_reports,
)
from touchpoint.services.sla_clock.timeline import (
    load_timeline,
    stored_timeline,
    timeline_events,
    timeline_from_texts,
    timeline_texts,
)

__all__ = [
    "NULL_EPOCH",
    "ChosenPolicy",
    "PolicyBatch",
    "active_policies_column",
    "choose_compiled_policy",
    "compiled_from_text",
    "compiled_policy",
    "epoch_seconds",
    "fetch_int_columns",
    "fetch_rows",
    "inline_constant",
    "int_columns",
    "load_timeline",
    "refresh_sla_cache",
    "replay_batches",
    "replay_order",
    "sla_cache_values",
    "sla_json",
    "sla_report",
    "sla_reports",
    "stored_timeline",
    "timeline_events",
    "timeline_from_texts",
    "timeline_texts",
]
