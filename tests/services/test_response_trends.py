"""A survey's NPS, CSAT and CSI per month over all its waves (issue 24): each month's
value and 95 % interval as the published formulas give them, "not enough answers" below
five, months read on the desk's clock (or another time zone), bad options and cells
named. Both databases."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
from scipy import stats
from sqlalchemy.orm import Session
from statsmodels.stats.proportion import proportion_confint  # type: ignore[import-untyped]

from tests.services.support import people
from tests.storage.support import T0, Database
from touchpoint.domain.errors import DomainError
from touchpoint.engine.errors import InputError
from touchpoint.services import surveys
from touchpoint.services.base import Actor
from touchpoint.services.errors import ForbiddenError
from touchpoint.services.response_trends import (
    MIN_ANSWERS,
    TrendMeasure,
    TrendOptions,
    survey_trend,
)
from touchpoint.services.survey_imports import import_responses
from touchpoint.web.pages_analysis import MIN_N

_TEXT = {"zh-CN": "题", "en": "Item"}


def _survey(s: Session, sup: Actor, db: Database, **body: Any) -> tuple[int, list[int]]:
    """A survey with two waves; (survey id, wave ids)."""
    survey = surveys.create_survey(s, sup, name=db.unique("trend "), now=T0, **body)
    waves = [surveys.create_wave(s, sup, survey.id, name=f"w{i}", now=T0).id for i in (1, 2)]
    return survey.id, waves


def _load(s: Session, sup: Actor, wave_id: int, header: str, rows: list[str]) -> None:
    content = (header + "\n" + "\n".join(rows) + "\n").encode()
    import_responses(s, sup, wave_id, content, "rows.csv", now=T0)


def test_the_threshold_is_the_analysis_pages() -> None:
    assert MIN_ANSWERS == MIN_N == 5


def test_nps_per_month_with_the_adjusted_wald_interval(db: Database, session: Session) -> None:
    sup, agent, _analyst = people(db, session)
    survey_id, (w1, w2) = _survey(session, sup, db, template="nps")
    # January 2026: 15 promoters, 10 passives, 5 detractors over both waves; the last
    # answer at 23:30 UTC on 31 January (07:30 on 1 February in Shanghai) is January's.
    january = [f"{v},2026-01-{d:02d}T08:00:00Z" for v, d in [(10, 3)] * 15 + [(8, 4)] * 10]
    january += [f"{v},2026-01-31T23:30:00Z" for v in (0, 3, 6, 6, 2)]
    _load(session, sup, w1, "NPS,submitted_at", january[:20])
    _load(session, sup, w2, "NPS,submitted_at", january[20:])
    # February: four answers (not enough); March: none; April: five.
    _load(session, sup, w2, "NPS,submitted_at", [f"9,2026-02-0{d}T01:00:00Z" for d in (1, 2, 3, 4)])
    _load(
        session, sup, w2, "NPS,submitted_at", [f"{v},2026-04-10T01:00:00Z" for v in (9, 9, 9, 7, 1)]
    )

    trend = survey_trend(
        session, sup, survey_id, TrendMeasure.NPS, TrendOptions(), time_zone="UTC"
    ).to_dict()

    assert trend["time_zone"] == "UTC" and trend["columns"] == ["NPS"] and trend["min_n"] == 5
    months = {m["month"]: m for m in trend["months"]}
    assert list(months) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    jan = months["2026-01"]
    assert jan["n"] == 30 and jan["enough"]
    assert jan["value"] == pytest.approx(100 * (15 - 5) / 30, abs=1e-12)
    # Rocks (2016) adjusted Wald, worked by hand: n' = 33, p' = 15.75/33, d' = 5.75/33,
    # 100 * (p' - d' ± 1.959964 * sqrt((p' + d' - (p' - d')^2) / n')) = [4.778, 55.828].
    assert jan["ci95"] == pytest.approx([4.778, 55.828], abs=1e-3)
    assert months["2026-02"] == {
        "month": "2026-02",
        "n": 4,
        "enough": False,
        "value": None,
        "ci95": None,
    }
    assert months["2026-03"]["n"] == 0 and months["2026-03"]["value"] is None
    # April: 3 promoters, 1 passive, 1 detractor: NPS 40.
    assert months["2026-04"]["value"] == pytest.approx(40.0, abs=1e-12)

    # On the desk's clock (Asia/Shanghai unless configured) those five answers were sent
    # on 1 February: January keeps 25, February gets 9.
    local = survey_trend(session, sup, survey_id, TrendMeasure.NPS, TrendOptions())
    assert local.time_zone == "Asia/Shanghai"
    assert [(m.month, m.n) for m in local.months] == [
        ("2026-01", 25),
        ("2026-02", 9),
        ("2026-03", 0),
        ("2026-04", 5),
    ]
    # Los Angeles (UTC-8 in winter, UTC-7 from 8 March): 01:00 UTC on 1 February is
    # 17:00 on 31 January there, so January has 31 and February 3; 01:00 UTC on 10 April
    # is 18:00 on 9 April, still April.
    west = survey_trend(
        session, sup, survey_id, TrendMeasure.NPS, TrendOptions(), time_zone="America/Los_Angeles"
    )
    assert [(m.month, m.n) for m in west.months] == [
        ("2026-01", 31),
        ("2026-02", 3),
        ("2026-03", 0),
        ("2026-04", 5),
    ]
    with pytest.raises(DomainError, match="tz: 'Mars/Olympus'"):
        survey_trend(
            session, sup, survey_id, TrendMeasure.NPS, TrendOptions(), time_zone="Mars/Olympus"
        )

    with pytest.raises(ForbiddenError):
        survey_trend(session, agent, survey_id, TrendMeasure.NPS, TrendOptions())


def test_csat_per_month_with_the_wilson_interval(db: Database, session: Session) -> None:
    sup, _agent, analyst = people(db, session)
    survey_id, (w1, _w2) = _survey(session, sup, db, template="csat")
    _load(
        session,
        sup,
        w1,
        "CSAT,submitted_at",
        [f"{v},2026-03-05T10:00:00Z" for v in (5, 4, 5, 4, 2)],
    )
    trend = survey_trend(session, analyst, survey_id, TrendMeasure.CSAT, TrendOptions())
    (march,) = trend.months
    assert trend.scale == (1.0, 5.0)  # the CSAT question's own scale
    assert march.value == pytest.approx(0.8, abs=1e-12)
    # Wilson (1927) for 4 of 5 with z = 1.959964, worked by hand:
    # (0.8 + z²/10 ± z·sqrt(0.8·0.2/5 + z²/100)) / (1 + z²/5) = [0.37553, 0.96378].
    assert march.ci95 == pytest.approx((0.37553, 0.96378), abs=1e-5)
    # statsmodels' Wilson interval (its z from scipy, 1.95996398…): the same to 1e-7.
    assert march.ci95 == pytest.approx(proportion_confint(4, 5, method="wilson"), abs=1e-7)


def test_csi_is_the_mean_respondent_index_with_a_t_interval(db: Database, session: Session) -> None:
    sup, _agent, analyst = people(db, session)
    items = ["C1", "C2", "C3"]
    definition = {
        "title": {"zh-CN": "满意度", "en": "Satisfaction"},
        "questions": [
            {"id": q, "type": "scale", "min": 1, "max": 10, "text": _TEXT} for q in items
        ],
    }
    survey_id, (w1, w2) = _survey(session, sup, db, definition=definition)
    rng = random.Random(7)
    answers = [[rng.randint(3, 10) for _ in items] for _ in range(40)]
    rows = [
        f"{a},{b},{c},2026-05-{1 + i % 28:02d}T00:00:00Z" for i, (a, b, c) in enumerate(answers)
    ]
    _load(session, sup, w1, "C1,C2,C3,submitted_at", rows[:25])
    _load(session, sup, w2, "C1,C2,C3,submitted_at", rows[25:])
    # A respondent with a blank item has no index of their own: left out.
    _load(session, sup, w2, "C1,C2,C3,submitted_at", ["10,,10,2026-05-09T00:00:00Z"])

    options = TrendOptions(items="C1,C2,C3", weights="2,1,1")
    trend = survey_trend(session, analyst, survey_id, TrendMeasure.CSI, options)
    (may,) = trend.months
    # Each respondent's CSI = Σ w_i (x_i − 1)/(10 − 1) · 100 (DOMAIN.md §3.4), weights
    # 2,1,1 normalised; the mean with the Student t interval, by numpy and scipy.
    w = np.array([0.5, 0.25, 0.25])
    own = (np.array(answers, dtype=float) - 1) / 9 * 100 @ w
    half = stats.t.ppf(0.975, len(own) - 1) * own.std(ddof=1) / math.sqrt(len(own))
    assert may.n == 40 and trend.scale == (1.0, 10.0)
    assert may.value == pytest.approx(own.mean(), abs=1e-9)
    assert may.ci95 == pytest.approx((own.mean() - half, own.mean() + half), abs=1e-9)


def test_bad_options_and_cells_are_named(db: Database, session: Session) -> None:
    sup, _agent, analyst = people(db, session)
    survey_id, (_w1, w2) = _survey(session, sup, db, template="nps")
    _load(
        session, sup, w2, "NPS,submitted_at", ["3,2026-01-01T00:00:00Z", "9,2026-01-02T00:00:00Z"]
    )

    def trend(measure: TrendMeasure, **options: str) -> Any:
        return survey_trend(session, analyst, survey_id, measure, TrendOptions(**options))

    with pytest.raises(DomainError, match="column: 'NOPE'"):
        trend(TrendMeasure.NPS, column="NOPE")
    with pytest.raises(DomainError, match=r"scale: expected MIN-MAX.*'five'"):
        trend(TrendMeasure.CSAT, column="NPS", scale="five")
    with pytest.raises(DomainError, match="items: name at least one"):
        trend(TrendMeasure.CSI)
    with pytest.raises(DomainError, match="weights"):
        trend(TrendMeasure.CSI, items="NPS", scale="0-10", weights="1,2")
    # The NPS answers read on a 1–5 scale: the 9 is off it, named by wave, row and column.
    with pytest.raises(InputError) as caught:
        trend(TrendMeasure.CSAT, column="NPS", scale="1-5")
    assert str(caught.value) == (
        f"responses.parquet of wave {w2}: row 2, column NPS: value 9 is outside the scale 1–5"
    )
    # A survey without responses has no month.
    empty, _ = _survey(session, sup, db, template="nps")
    assert survey_trend(session, analyst, empty, TrendMeasure.NPS, TrendOptions()).months == ()
