"""The analyses of a stored wave: the same JSON as ``touchpoint analyze`` on the wave's
``responses.parquet`` export, computed by the same engine code.

The wave is written to a Parquet snapshot (the export's file; kept under the data
directory by :class:`~touchpoint.services.wave_snapshots.WaveSnapshots` while the wave
gets no new response) and the engine reads it as it reads any file: one implementation
for files and waves. An
anonymous wave's snapshot has no customer column, so no analysis can expose customer ids.
Options come as the command's (``by``, ``column``, ``scale`` as ``MIN-MAX``, ``outcome``,
``items`` as ``A,B,C``, ``weights`` — SERVQUAL's JSON object of dimension points, CSI's
``w1,w2,…`` —, ``attitude``, ``repeat``, ``attitude_cut``, ``repeat_cut``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from touchpoint.domain.errors import DomainError
from touchpoint.engine.documents import finite
from touchpoint.engine.errors import InputError
from touchpoint.engine.options import dimension_weights as parse_dimension_weights
from touchpoint.engine.options import scale_bounds
from touchpoint.services.base import Actor, require
from touchpoint.services.wave_snapshots import WaveSnapshots

__all__ = [
    "INSTRUMENT_BY_TEMPLATE",
    "AnalysisOptions",
    "Instrument",
    "analyze_wave",
    "dimension_weights",
    "option_error",
]


class Instrument(StrEnum):
    """The analyses a wave can be read with (``touchpoint analyze``'s commands)."""

    SERVQUAL = "servqual"
    ZONE = "zone"
    KANO = "kano"
    CSI = "csi"
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    DRIVERS = "drivers"
    LOYALTY = "loyalty"


#: The analysis a survey made from a template is read with.
INSTRUMENT_BY_TEMPLATE: Mapping[str, Instrument] = {
    "servqual": Instrument.SERVQUAL,
    "servqual-zone": Instrument.ZONE,
    "kano": Instrument.KANO,
    "nps": Instrument.NPS,
    "csat": Instrument.CSAT,
    "ces": Instrument.CES,
    # A return visit's headline is its CSAT (1–5), as on the KPI board.
    "return-visit": Instrument.CSAT,
}


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """The command's options, as text (the API's query parameters)."""

    by: str | None = None
    column: str | None = None
    scale: str | None = None
    outcome: str | None = None
    items: str | None = None
    weights: str | None = None
    attitude: str | None = None
    repeat: str | None = None
    attitude_cut: float | None = None
    repeat_cut: float | None = None


def _scale(raw: str | None, default: str, option: str = "scale") -> tuple[float, float]:
    bounds = scale_bounds(raw or default)
    if bounds is None:
        raise option_error(option, raw, "expected MIN-MAX such as 1-5", code="option_scale")
    return bounds


def option_error(option: str, raw: str | None, problem: str, *, code: str) -> DomainError:
    """An analysis option the request got wrong: ``option: problem, got 'raw'`` in English
    (the API's), and ``code`` with the option and the value for a page's language."""
    got = f", got {raw!r}" if raw else ""
    return DomainError(
        f"{option}: {problem}{got}", code=code, params={"field": option, "value": raw or ""}
    )


def _names(raw: str | None, option: str) -> list[str]:
    names = [part.strip() for part in (raw or "").split(",") if part.strip()]
    if not names:
        raise option_error(
            option, raw, "name at least one column, e.g. A,B,C", code="option_columns"
        )
    return names


def _required(raw: str | None, option: str) -> str:
    if not raw:
        raise option_error(option, raw, "required for this analysis", code="option_required")
    return raw


def dimension_weights(raw: str | None) -> dict[str, float] | None:
    """A JSON object of dimension weights (points or AHP weights) as given in a query,
    checked; None when not given."""
    if raw is None:
        return None
    try:
        return parse_dimension_weights(raw)
    except json.JSONDecodeError as exc:
        raise option_error(
            "weights", raw, f"not valid JSON ({exc.msg})", code="option_weights"
        ) from None
    except ValueError:
        raise option_error(
            "weights",
            raw,
            "expected a JSON object of the five dimensions' weights",
            code="option_weights",
        ) from None


def _csi_weights(raw: str | None) -> list[float] | None:
    if raw is None:
        return None
    try:
        return [float(part) for part in raw.split(",")]
    except ValueError:
        raise option_error(
            "weights", raw, "expected comma-separated numbers", code="option_weights"
        ) from None


def _runner(
    instrument: Instrument, o: AnalysisOptions, sql_cache: Path | None
) -> Callable[[str], Any]:
    """The engine call of ``instrument`` with its options, on a file's path (the
    analyses that compile their SQL through the engine's cache keep it in ``sql_cache``)."""
    from touchpoint.engine import drivers_report, loyalty_report, score_reports
    from touchpoint.engine.csi_report import csi
    from touchpoint.engine.kano_report import kano
    from touchpoint.engine.servqual_report import servqual
    from touchpoint.engine.zone_report import zone

    match instrument:
        case Instrument.SERVQUAL:
            weights = dimension_weights(o.weights)
            return lambda path: servqual(path, by=o.by, weights=weights, sql_cache=sql_cache)
        case Instrument.ZONE:
            return lambda path: zone(path)
        case Instrument.KANO:
            return lambda path: kano(path, sql_cache=sql_cache)
        case Instrument.CSI:
            items, scale = _names(o.items, "items"), _scale(o.scale, "", "scale")
            weights_csi = _csi_weights(o.weights)
            return lambda path: csi(path, items, scale, weights_csi)
        case Instrument.NPS:
            return lambda path: score_reports.nps(
                path, o.column or "NPS", by=o.by, sql_cache=sql_cache
            )
        case Instrument.CSAT:
            bounds = _scale(o.scale, "1-5")
            return lambda path: score_reports.csat(
                path, o.column or "CSAT", bounds, by=o.by, sql_cache=sql_cache
            )
        case Instrument.CES:
            bounds = _scale(o.scale, "1-7")
            return lambda path: score_reports.ces(
                path, o.column or "CES", bounds, by=o.by, sql_cache=sql_cache
            )
        case Instrument.DRIVERS:
            outcome, items = _required(o.outcome, "outcome"), _names(o.items, "items")
            return lambda path: drivers_report.drivers(
                path, outcome, items, by=o.by, sql_cache=sql_cache
            )
        case Instrument.LOYALTY:
            attitude, repeat = _required(o.attitude, "attitude"), _required(o.repeat, "repeat")
            return lambda path: loyalty_report.loyalty(
                path,
                attitude,
                repeat,
                attitude_cut=o.attitude_cut,
                repeat_cut=o.repeat_cut,
                by=o.by,
                sql_cache=sql_cache,
            )
    raise DomainError(f"instrument: {instrument!r} is not an analysis")  # pragma: no cover


def analyze_wave(
    session: Session,
    actor: Actor,
    wave_id: int,
    instrument: Instrument,
    options: AnalysisOptions,
    *,
    snapshots: WaveSnapshots | None = None,
) -> dict[str, Any]:
    """The analysis of the wave's responses, as ``touchpoint analyze INSTRUMENT`` prints
    it for the wave's Parquet export. ``snapshots`` keeps that file between analyses
    (none: a temporary one each time). ``engine.InputError`` names a column or cell the
    analysis cannot use (the file named is the export's ``responses.parquet``)."""
    require(actor, actor.role.can_read_reports, "analyse survey waves")
    kept = snapshots or WaveSnapshots()
    run = _runner(instrument, options, kept.sql_cache)
    for attempt in (1, 2):
        with kept.snapshot(session, wave_id) as path:
            try:
                report = run(str(path))
            except InputError as exc:
                if attempt == 1 and not path.is_file():
                    continue  # a newer snapshot replaced this one meanwhile: read that
                raise _named(exc) from None
            break
    document: Mapping[str, Any] = report.to_dict()
    return dict(finite(dict(document)))


def _named(exc: InputError) -> InputError:
    """The error naming the export's file rather than the snapshot's place on disk."""
    return exc.with_source("responses.parquet")
