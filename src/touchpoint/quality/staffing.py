"""Call-centre staffing with the Erlang C queue (M/M/N).

Given contacts per interval and the average handle time (AHT), find the fewest
agents that answer a target share of contacts within a target time (e.g. 80 %
in 20 s), with the resulting occupancy and average speed of answer (ASA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "StaffingResult",
    "average_speed_of_answer",
    "erlang_c",
    "service_level",
    "staffing",
]

# Safety stop for the search; far above any half-hour a real centre staffs.
_MAX_AGENTS = 100_000


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact has to wait (Erlang C).

    .. math::

        C(N, A) = \\frac{\\frac{A^N}{N!}\\frac{N}{N - A}}
                        {\\sum_{k=0}^{N-1} \\frac{A^k}{k!} + \\frac{A^N}{N!}\\frac{N}{N - A}}

    computed stably through the Erlang B recursion
    :math:`B_k = A B_{k-1} / (k + A B_{k-1})`,
    :math:`C = N B_N / (N - A (1 - B_N))`. Returns 1 when :math:`N \\le A`.

    Parameters
    ----------
    agents
        Number of agents *N*.
    traffic
        Offered load *A* in Erlangs (contacts × AHT / interval).

    References
    ----------
    Erlang, A. K. (1917). Solution of some problems in the theory of
    probabilities of significance in automatic telephone exchanges.
    *Elektroteknikeren* 13, 5–13; Koole, G. (2013). *Call Center Optimization*.
    MG books, ch. 5.

    Examples
    --------
    >>> round(erlang_c(2, 1.0), 6)
    0.333333
    """
    if agents < 1:
        raise ValueError(f"agents must be at least 1, got {agents}")
    if not math.isfinite(traffic) or traffic < 0:
        raise ValueError(f"traffic must be a non-negative number, got {traffic}")
    if agents <= traffic:
        return 1.0
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(agents: int, traffic: float, aht: float, answer_time: float) -> float:
    """Share of contacts answered within ``answer_time``.

    .. math:: SL = 1 - C(N, A)\\, e^{-(N - A)\\, t / AHT}

    References
    ----------
    Koole (2013), *Call Center Optimization*, ch. 5.

    Examples
    --------
    >>> round(service_level(2, 1.0, 60, 0), 6)
    0.666667
    """
    if aht <= 0 or answer_time < 0:
        raise ValueError("AHT must be positive and the answer time non-negative")
    if agents <= traffic:
        return 0.0
    return 1.0 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * answer_time / aht)


def average_speed_of_answer(agents: int, traffic: float, aht: float) -> float:
    """Mean wait before answer (ASA), in the unit of ``aht``; ``inf`` if N ≤ A.

    .. math:: ASA = \\frac{C(N, A)\\, AHT}{N - A}

    References
    ----------
    Koole (2013), *Call Center Optimization*, ch. 5.

    Examples
    --------
    >>> round(average_speed_of_answer(2, 1.0, 60), 6)
    20.0
    """
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht / (agents - traffic)


@dataclass(frozen=True)
class StaffingResult:
    """Agents needed for a service-level target and what that staffing achieves."""

    agents: int
    traffic: float
    probability_of_waiting: float
    service_level: float
    average_speed_of_answer: float
    occupancy: float


def staffing(
    contacts: float,
    interval_seconds: float,
    aht_seconds: float,
    target_service_level: float = 0.8,
    answer_seconds: float = 20.0,
    max_occupancy: float | None = None,
) -> StaffingResult:
    """Fewest agents meeting a service level such as 80/20 (80 % within 20 s).

    .. math::

        A = \\frac{\\text{contacts} \\cdot AHT}{\\text{interval}}, \\qquad
        N^{*} = \\min\\{N > A : SL(N) \\ge \\text{target}
        \\wedge A/N \\le \\text{max occupancy}\\}

    Parameters
    ----------
    contacts
        Contacts arriving in the interval.
    interval_seconds
        Length of the interval (1800 for a half-hour).
    aht_seconds
        Average handle time.
    target_service_level
        Share to answer within ``answer_seconds`` (0 < target < 1).
    answer_seconds
        The answer-time target.
    max_occupancy
        Optional cap on agent occupancy A/N.

    Returns
    -------
    StaffingResult

    References
    ----------
    Koole (2013), *Call Center Optimization*, ch. 5; Gans, N., Koole, G. &
    Mandelbaum, A. (2003). Telephone call centers: tutorial, review, and research
    prospects. *M&SOM* 5(2), 79–141. doi:10.1287/msom.5.2.79.16071

    Examples
    --------
    >>> r = staffing(100, 1800, 180, 0.8, 20)
    >>> r.agents, round(r.traffic, 1), round(r.service_level, 3)
    (14, 10.0, 0.888)
    """
    if contacts < 0 or interval_seconds <= 0 or aht_seconds <= 0:
        raise ValueError("contacts must be non-negative; interval and AHT positive")
    if not 0 < target_service_level < 1:
        raise ValueError("the target service level must lie strictly between 0 and 1")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError("max occupancy must lie in (0, 1]")
    traffic = contacts * aht_seconds / interval_seconds
    agents = max(1, math.floor(traffic) + 1)
    while agents <= _MAX_AGENTS:
        level = service_level(agents, traffic, aht_seconds, answer_seconds)
        occupancy = traffic / agents
        if level >= target_service_level and (max_occupancy is None or occupancy <= max_occupancy):
            return StaffingResult(
                agents=agents,
                traffic=traffic,
                probability_of_waiting=erlang_c(agents, traffic),
                service_level=level,
                average_speed_of_answer=average_speed_of_answer(agents, traffic, aht_seconds),
                occupancy=occupancy,
            )
        agents += 1
    raise ValueError(f"more than {_MAX_AGENTS} agents would be needed")
