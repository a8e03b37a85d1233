"""The SLA clock of issue 6: policies, order timelines and their replay, for one order or many.

There is one implementation of the nine rules: :func:`replay_many` replays a batch of
orders held as columns (events sorted by order, then time) with numpy, and
:func:`replay` is the batch of one. The desk, the escalation sweep, the KPI board and
``touchpoint sla`` all call these; ``now`` is always a parameter.

How the batch works, in the rules' own terms:

* ``B(t)`` is the calendar's cumulative business seconds (:class:`BusinessTimeIndex`).
* Each event's status after it is the last ``created``/``status`` value (forward fill);
  the order is paused between two events when the status after the first one pauses
  the clock (rule 1).
* ``U`` is the cumulative *unpaused* business time at each event (rule 2), one global
  cumulative sum whose differences inside an order are the used time between events.
* Every clock starts and stops at an event, so every span is a difference of ``U``
  and every "which event started the running clock" question is a running maximum or
  minimum of event indices: no Python loop per event.
* A pending target's due instant is where the order's used time reaches ``U(start) +
  target``: inside the history when it was already reached, otherwise after the last
  change of the clock (its last resume, or while paused the pause start, as if the pause
  had not begun: rule 8), found with ``B⁻¹``.

Modules: ``vocabulary`` (statuses, event types, their codes), ``errors``, ``policy``,
``timeline`` (events and checked columns), ``report`` (what a replay returns),
``clocks`` (``B``, ``U`` and each target's spans), ``batch`` (deadlines, outcomes,
:func:`replay_many`) and ``replay`` (one order, remembered).
"""

from touchpoint.domain.sla.batch import replay_many
from touchpoint.domain.sla.errors import SlaInputError, TimelineError
from touchpoint.domain.sla.policy import SlaPolicy
from touchpoint.domain.sla.replay import replay
from touchpoint.domain.sla.report import (
    NextUpdateReport,
    SlaBatchReport,
    SlaReport,
    TargetOutcomes,
    TargetReport,
)
from touchpoint.domain.sla.timeline import (
    TimelineEvent,
    Timelines,
    check_timeline,
    timeline_from_json,
)
from touchpoint.domain.sla.vocabulary import (
    NO_INSTANT,
    TARGETS,
    EventType,
    NextUpdateFrom,
    OrderStatus,
)

__all__ = [
    "NO_INSTANT",
    "TARGETS",
    "EventType",
    "NextUpdateFrom",
    "NextUpdateReport",
    "OrderStatus",
    "SlaBatchReport",
    "SlaInputError",
    "SlaPolicy",
    "SlaReport",
    "TargetOutcomes",
    "TargetReport",
    "TimelineError",
    "TimelineEvent",
    "Timelines",
    "check_timeline",
    "replay",
    "replay_many",
    "timeline_from_json",
]
