"""AHP weights of the five SERVQUAL dimensions from an analyst's pairwise judgements, and a
wave's SERVQUAL weighted by exactly those weights (DOMAIN.md §3.1 and §3.5).

The analyst judges each of the 10 pairs of dimensions once on Saaty's scale: how many
times more important the first is than the second (1 equal … 9 extremely more; 1/3 …
1/9 the second more). The judgements fill the reciprocal comparison matrix that
``engine.ahp_report`` (the code behind ``touchpoint analyze ahp``) turns into weights and
a consistency ratio; those weights are then handed to the wave's SERVQUAL analysis
(``services.wave_analysis``) as the same JSON object the API's ``weights`` takes, so
nobody copies numbers by hand and the result equals
``GET /api/waves/{id}/analysis/servqual?weights=…`` with the weights shown.

Judgements as text are a JSON object keyed ``"first:second"``, e.g.
``{"tangibles:reliability": "1/3", "reliability:empathy": 5, …}``; a value is a number
or a fraction as text, within 1/9 … 9; a pair may be written in either order
(``"reliability:tangibles": 3`` means ``"tangibles:reliability": "1/3"``) but only once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError
from touchpoint.engine.ahp_report import AhpReport, ahp
from touchpoint.quality.servqual import SERVQUAL_ITEMS
from touchpoint.services.base import Actor, require
from touchpoint.services.wave_analysis import AnalysisOptions, Instrument, analyze_wave
from touchpoint.services.wave_snapshots import WaveSnapshots

__all__ = [
    "DIMENSIONS",
    "PAIRS",
    "SAATY_MAX",
    "SAATY_MIN",
    "JudgementError",
    "ServqualAhp",
    "pair_key",
    "parse_judgements",
    "servqual_ahp",
    "servqual_weights",
]

#: The five SERVQUAL dimensions, in the order of their items (PZB 1988).
DIMENSIONS: tuple[str, ...] = tuple(SERVQUAL_ITEMS)
#: The 10 pairs judged, each with the earlier dimension first.
PAIRS: tuple[tuple[str, str], ...] = tuple(combinations(DIMENSIONS, 2))
#: Saaty's scale runs from 1/9 (the second extremely more important) to 9.
SAATY_MIN = 1 / 9
SAATY_MAX = 9.0
#: Slack for a typed value at the scale's ends (1/9 written as a decimal).
_EDGE = 1e-9


class JudgementError(DomainError):
    """A judgement the analysis cannot use; ``pair`` and ``value`` say which (``pair`` is
    None when the judgements as a whole are malformed). ``off_scale`` is true when the
    value is not a number from 1/9 to 9."""

    def __init__(
        self,
        message: str,
        pair: tuple[str, str] | None = None,
        value: object = None,
        *,
        off_scale: bool = False,
    ) -> None:
        super().__init__(f"judgements: {message}")
        self.pair = pair
        self.value = value
        self.off_scale = off_scale


def pair_key(first: str, second: str) -> str:
    """The key of a judgement: ``"first:second"``."""
    return f"{first}:{second}"


def parse_judgements(text: str) -> dict[str, object]:
    """The JSON object of a query's ``judgements`` (its values are checked later)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JudgementError(f"not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise JudgementError('expected a JSON object such as {"tangibles:reliability": 3, …}')
    return {str(k): v for k, v in value.items()}


def _number(raw: object) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(Fraction(raw.strip()))
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _split(key: str) -> tuple[str, str]:
    first, sep, second = key.partition(":")
    if not sep or first not in DIMENSIONS or second not in DIMENSIONS or first == second:
        raise JudgementError(
            f"{key!r} is not a pair of two SERVQUAL dimensions written first:second "
            f"({', '.join(DIMENSIONS)})"
        )
    return first, second


def _judged(judgements: Mapping[str, object]) -> dict[tuple[str, str], float]:
    """Each pair's judgement, first dimension in SERVQUAL order, checked against the scale."""
    judged: dict[tuple[str, str], float] = {}
    for key, raw in judgements.items():
        first, second = _split(key)
        value = _number(raw)
        shown = pair_key(first, second)
        if value is None or not math.isfinite(value):
            raise JudgementError(
                f"{shown} = {raw!r} is not a number", (first, second), raw, off_scale=True
            )
        if not SAATY_MIN - _EDGE <= value <= SAATY_MAX + _EDGE:
            raise JudgementError(
                f"{shown} = {raw!r} is outside Saaty's scale 1/9 to 9",
                (first, second),
                raw,
                off_scale=True,
            )
        pair = (first, second) if (first, second) in PAIRS else (second, first)
        if pair in judged:
            raise JudgementError(f"{pair_key(*pair)} is judged twice", pair, raw)
        judged[pair] = value if pair == (first, second) else 1 / value
    missing = [p for p in PAIRS if p not in judged]
    if missing:
        names = ", ".join(pair_key(*p) for p in missing)
        raise JudgementError(f"every pair needs a judgement; missing {names}", missing[0])
    return judged


@dataclass(frozen=True)
class ServqualAhp:
    """The judgements (each pair, earlier dimension first), their matrix and AHP report."""

    judgements: dict[str, float]
    matrix: tuple[tuple[float, ...], ...]
    report: AhpReport

    @property
    def weights(self) -> dict[str, float]:
        """Dimension → AHP weight (they sum to 1)."""
        return self.report.weights

    def weights_json(self) -> str:
        """The weights as the SERVQUAL analysis's ``weights`` option takes them (JSON keeps
        every float exactly, so the analysis gets the very numbers shown)."""
        return json.dumps(self.weights)

    def to_dict(self) -> dict[str, Any]:
        """``criteria``, ``judgements``, ``matrix`` and ``touchpoint analyze ahp``'s keys
        (``weights``, ``lambda_max``, ``ci``, ``cr``, ``consistent``)."""
        return {
            "criteria": list(DIMENSIONS),
            "judgements": dict(self.judgements),
            "matrix": [list(row) for row in self.matrix],
            **self.report.to_dict(),
        }


def servqual_weights(judgements: Mapping[str, object]) -> ServqualAhp:
    """AHP weights and consistency of the five dimensions from the 10 judgements.

    Raises
    ------
    JudgementError
        A key is not a pair of dimensions, a value is not a number or lies outside 1/9 … 9
        (the message names the pair and the value), a pair is judged twice or missing.
    """
    judged = _judged(judgements)
    index = {d: i for i, d in enumerate(DIMENSIONS)}
    rows = [[1.0] * len(DIMENSIONS) for _ in DIMENSIONS]
    for (first, second), value in judged.items():
        rows[index[first]][index[second]] = value
        rows[index[second]][index[first]] = 1 / value
    matrix = tuple(tuple(row) for row in rows)
    report = ahp({"criteria": list(DIMENSIONS), "matrix": [list(r) for r in matrix]})
    return ServqualAhp(
        judgements={pair_key(*p): judged[p] for p in PAIRS}, matrix=matrix, report=report
    )


def servqual_ahp(
    session: Session,
    actor: Actor,
    wave_id: int,
    judgements: Mapping[str, object],
    *,
    snapshots: WaveSnapshots | None = None,
) -> tuple[ServqualAhp, dict[str, Any]]:
    """The AHP weights of ``judgements`` and the wave's SERVQUAL analysis weighted by them
    (the JSON of ``GET /api/waves/{wave_id}/analysis/servqual?weights=<those weights>``)."""
    require(actor, actor.role.can_read_reports, "analyse survey waves")
    weighted = servqual_weights(judgements)
    options = AnalysisOptions(weights=weighted.weights_json())
    servqual = analyze_wave(
        session, actor, wave_id, Instrument.SERVQUAL, options, snapshots=snapshots
    )
    return weighted, servqual
