"""The desk's own clock: the escalation sweep, run by the server every few seconds.

Without it an order that breaches its SLA is tiered up only when someone calls the
sweep (``POST /api/sla/escalations/run``). :class:`EscalationSweeper` is a thread of each
server process that runs :func:`~touchpoint.services.sla_admin.escalate_due` as the desk
itself (``Actor.system()``) at the app's clock's ``now``, every ``interval`` seconds.
Several worker processes each have one; a :class:`~touchpoint.storage.sweep_lock.SweepLock`
lets one sweep at a time, and a worker that finds the turn taken skips its tick.

After each escalation sweep the same round brings the KPI board's stored order facts up
to date (``services.kpi_facts.refresh_kpi_facts``), at most :data:`FACTS_PER_SWEEP`
orders a round, so that a desk just upgraded catches up over a few rounds without
holding up its escalations for long; the board is exact meanwhile, only slower.

The same round issues the return visits scheduled after resolutions
(``services.return_visits``), judges again by the hostage rule the customers with new
survey answers (``services.hostage``), sends the survey reminders that are due (one
per unanswered e-mail or SMS invitation, ``reminder_days`` after it was issued:
``services.survey_invitations``) and extends the kept Parquet snapshots of the waves
that gained responses (``services.wave_snapshots``).

The same kind of thread refreshes the stored merge-candidate list
(:func:`refresh_as_desk`, ``services.merge_refresh``) on a timer of its own, under a
turn of its own, so that a refresh taking minutes never holds up a sweep.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from touchpoint.services import (
    hostage,
    kpi_facts,
    merge_refresh,
    return_visits,
    sla_admin,
    survey_invitations,
)
from touchpoint.services.base import Actor
from touchpoint.services.survey_links import SurveyLinks
from touchpoint.services.wave_snapshots import WaveSnapshots
from touchpoint.storage.sweep_lock import SweepLock

__all__ = [
    "FACTS_PER_SWEEP",
    "EscalationSweeper",
    "Sweep",
    "SweepOutcome",
    "escalate_as_desk",
    "refresh_as_desk",
]

_log = logging.getLogger(__name__)

#: Orders whose KPI facts one round of the escalation sweep brings up to date, at most.
FACTS_PER_SWEEP = 50_000

#: One sweep: given a session and the instant, escalate what is due.
Sweep = Callable[[Session, datetime], object]


class SweepOutcome(StrEnum):
    """What one tick of the sweeper did."""

    SWEPT = "swept"
    SKIPPED = "skipped"  # another process had the turn
    FAILED = "failed"  # the sweep (or taking the turn) raised; logged

    @property
    def swept(self) -> bool:
        """The sweep ran to its end."""
        return self is SweepOutcome.SWEPT


def escalate_as_desk(
    after_commit: Callable[[], None] | None,
    links: SurveyLinks | None = None,
    snapshots: WaveSnapshots | None = None,
) -> Sweep:
    """The sweep the server runs: ``escalate_due`` as the desk itself, waking the outbox
    (``after_commit``) when it queued breach notices, then the KPI facts of up to
    :data:`FACTS_PER_SWEEP` orders brought up to date, then (given the survey ``links``)
    the survey reminders that are due, then (given the wave ``snapshots``) the kept
    snapshots of waves with new responses extended."""

    def sweep(session: Session, now: datetime) -> sla_admin.EscalationSummary:
        summary = sla_admin.escalate_due(
            session, Actor.system(), now=now, after_commit=after_commit
        )
        if summary.warnings or summary.breaches:
            _log.info(
                "escalation sweep at %s: %d orders checked, %d warnings, %d breaches, %d tier-ups",
                now.isoformat(),
                summary.orders_checked,
                summary.warnings,
                summary.breaches,
                summary.tier_ups,
            )
        written = kpi_facts.refresh_kpi_facts(session, limit=FACTS_PER_SWEEP)
        if written:
            _log.info("KPI facts of %d orders brought up to date", written)
        if links is not None:
            issued = return_visits.issue_due_return_visits(
                session, links, now=now, after_commit=after_commit
            )
            if issued:
                _log.info("return visits issued or skipped: %d", issued)
            judged = hostage.refresh_hostage_flags(session, now=now)
            if judged:
                _log.info("hostage rule: %d customers judged again", judged)
            reminded = survey_invitations.send_due_reminders(
                session, links, now=now, after_commit=after_commit
            )
            if reminded:
                _log.info("survey reminders sent: %d", reminded)
        if snapshots is not None:
            extended = snapshots.refresh_kept(session)
            if extended:
                _log.info("wave snapshots brought up to date: %d", extended)
        return summary

    return sweep


def refresh_as_desk() -> Sweep:
    """The merge-candidate refresh the server runs (``services.merge_refresh``)."""

    def sweep(session: Session, now: datetime) -> merge_refresh.RefreshSummary:
        return merge_refresh.refresh_merge_candidates(session, now)

    return sweep


class EscalationSweeper:
    """A background thread that runs ``sweep`` every ``interval`` seconds, when woken
    (:meth:`wake`, :meth:`tick`), and only while it holds ``lock``'s turn.

    ``clock`` gives each sweep its ``now`` (tests inject a settable one). A sweep that
    raises is logged and the thread goes on to the next tick.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        lock: SweepLock,
        *,
        clock: Callable[[], datetime],
        interval: float,
        sweep: Sweep,
        name: str = "escalation sweep",
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval: {interval!r} must be a positive number of seconds")
        self._factory = factory
        self._lock = lock
        self._clock = clock
        self._interval = interval
        self._sweep = sweep
        self._name = name  # of the thread and in the log
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Rounds started and finished, and the last outcome, for tick().
        self._done = threading.Condition()
        self._started = 0
        self._finished = 0
        self._last: SweepOutcome | None = None

    def start(self) -> None:
        """Start the thread; its first sweep comes one ``interval`` later (or when woken)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name=self._name.replace(" ", "-"), daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread, after the sweep under way if there is one (no new sweep)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None
        with self._done:
            self._done.notify_all()

    def wake(self) -> None:
        """Ask for a tick now instead of at the end of the interval."""
        self._wake.set()

    def tick(self, timeout: float = 30.0) -> SweepOutcome | None:
        """Wake the thread and wait until a tick that started after this call is over.

        Returns that tick's outcome (or a later one's, if the thread went on meanwhile);
        ``None`` if the thread did not get there within ``timeout`` or was stopped.
        """
        with self._done:
            target = self._started + 1
            self._wake.set()
            over = self._done.wait_for(
                lambda: self._finished >= target or self._stop.is_set(), timeout
            )
            return self._last if over and self._finished >= target else None

    def run_once(self) -> SweepOutcome:
        """One round in the caller's thread, under the lock's turn like a tick (for a
        round asked for where no timer thread runs)."""
        return self._round()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._done:
                self._started += 1
            outcome = self._round()
            with self._done:
                self._finished += 1
                self._last = outcome
                self._done.notify_all()

    def _round(self) -> SweepOutcome:
        try:
            with self._lock.turn() as mine:
                if not mine:
                    return SweepOutcome.SKIPPED
                with self._factory() as session:
                    self._sweep(session, self._clock())
                return SweepOutcome.SWEPT
        except Exception:  # keep the thread alive; the next tick sweeps again
            _log.exception("%s failed", self._name)
            return SweepOutcome.FAILED
