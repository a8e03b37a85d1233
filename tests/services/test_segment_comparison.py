"""Segment comparison within a wave (issue 24): each segment against the rest with
Welch's t (means) or the two-proportion z test (shares), numbers as scipy and
statsmodels give them, "not enough answers" below five, bad options named. Both
databases."""

from __future__ import annotations

import math
from typing import Any

import pytest
from scipy import stats
from sqlalchemy.orm import Session
from statsmodels.stats.proportion import proportions_ztest  # type: ignore[import-untyped]

from tests.services.support import people
from tests.storage.support import T0, Database
from touchpoint.domain.errors import DomainError
from touchpoint.engine.errors import InputError
from touchpoint.services import surveys
from touchpoint.services.errors import ForbiddenError
from touchpoint.services.segment_comparison import (
    SegmentMeasure,
    SegmentOptions,
    compare_segments,
)
from touchpoint.services.survey_imports import import_responses

#: phone: 8 answers, kiosk: 6, sms: 3 (too few), one on a blank region.
PHONE = [9, 10, 10, 8, 9, 7, 10, 9]
KIOSK = [3, 6, 8, 5, 9, 2]
SMS = [10, 10, 9]


def _wave(db: Database, s: Session) -> tuple[int, Any, Any, Any]:
    sup, agent, analyst = people(db, s)
    survey = surveys.create_survey(s, sup, name=db.unique("seg "), template="nps", now=T0)
    wave = surveys.create_wave(s, sup, survey.id, name="w", now=T0)
    rows = [f"{v},phone,north" for v in PHONE] + [f"{v},kiosk,south" for v in KIOSK]
    rows += [f"{v},sms,north" for v in SMS]
    content = ("NPS,channel,region\n" + "\n".join(rows) + "\n").encode()
    import_responses(s, sup, wave.id, content, "rows.csv", now=T0)
    return wave.id, sup, agent, analyst


def test_means_by_channel_with_welchs_t(db: Database, session: Session) -> None:
    wave_id, _sup, agent, analyst = _wave(db, session)
    options = SegmentOptions(by="channel", column="NPS")
    result = compare_segments(session, analyst, wave_id, SegmentMeasure.MEAN, options)
    doc = result.to_dict()
    assert doc["test"] == "welch_t" and doc["alpha"] == 0.05 and doc["n"] == 17
    assert doc["scale"] == [0.0, 10.0]
    rows = {r["segment"]: r for r in doc["segments"]}
    assert set(rows) == {"phone", "kiosk", "sms"}
    phone = rows["phone"]
    rest = KIOSK + SMS
    # Welch (1947) by scipy on the raw answers: phone against the other nine answers.
    expected = stats.ttest_ind(PHONE, rest, equal_var=False)
    assert phone["value"] == pytest.approx(sum(PHONE) / 8, abs=1e-12)  # 9.0
    assert phone["rest_value"] == pytest.approx(sum(rest) / 9, abs=1e-12)
    assert phone["difference"] == pytest.approx(9.0 - 62 / 9, abs=1e-12)
    assert phone["statistic"] == pytest.approx(expected.statistic, abs=1e-9)
    assert phone["p_value"] == pytest.approx(expected.pvalue, abs=1e-9)
    # By hand: s²(phone) = 8/7, s²(rest) = 656/72; the Welch–Satterthwaite df from them.
    v1, v2 = stats.tvar(PHONE), stats.tvar(rest)
    df = (v1 / 8 + v2 / 9) ** 2 / ((v1 / 8) ** 2 / 7 + (v2 / 9) ** 2 / 8)
    assert phone["df"] == pytest.approx(df, abs=1e-9)
    assert v1 == pytest.approx(8 / 7) and v2 == pytest.approx(656 / 72)
    assert phone["significant"] is False  # p = 0.077 (scipy), not below 0.05
    # sms has three answers: "not enough answers", no number.
    assert rows["sms"] == {
        "segment": "sms",
        "n": 3,
        "rest_n": 14,
        "enough": False,
        "value": None,
        "rest_value": None,
        "difference": None,
        "statistic": None,
        "df": None,
        "p_value": None,
        "significant": None,
    }
    with pytest.raises(ForbiddenError):
        compare_segments(session, agent, wave_id, SegmentMeasure.MEAN, options)


def test_promoter_shares_by_region_with_the_two_proportion_z_test(
    db: Database, session: Session
) -> None:
    wave_id, _sup, _agent, analyst = _wave(db, session)
    options = SegmentOptions(by="region")  # the NPS question by default: promoters 9–10
    doc = compare_segments(session, analyst, wave_id, SegmentMeasure.SHARE, options).to_dict()
    assert doc["column"] == "NPS" and doc["test"] == "two_proportion_z"
    north = next(r for r in doc["segments"] if r["segment"] == "north")
    # north: phone + sms = 11 answers, 9 promoters; south: 6 answers, 1 promoter.
    assert (north["n"], north["rest_n"]) == (11, 6)
    assert north["value"] == pytest.approx(9 / 11, abs=1e-12)
    assert north["rest_value"] == pytest.approx(1 / 6, abs=1e-12)
    # The pooled z test by statsmodels (Fleiss, Levin & Paik 2003, ch. 2).
    z, p = proportions_ztest([9, 1], [11, 6])
    assert north["statistic"] == pytest.approx(z, abs=1e-9)
    assert north["p_value"] == pytest.approx(p, abs=1e-9)
    # By hand: p̂ = 10/17, se = sqrt(p̂(1 − p̂)(1/11 + 1/6)), z = (9/11 − 1/6)/se = 2.6084.
    pooled = 10 / 17
    by_hand = (9 / 11 - 1 / 6) / math.sqrt(pooled * (1 - pooled) * (1 / 11 + 1 / 6))
    assert north["statistic"] == pytest.approx(by_hand, abs=1e-12)
    assert round(by_hand, 4) == 2.6084
    assert north["significant"] is True


def test_bad_options_are_named(db: Database, session: Session) -> None:
    wave_id, _sup, _agent, analyst = _wave(db, session)

    def compare(measure: SegmentMeasure = SegmentMeasure.MEAN, **options: str) -> Any:
        return compare_segments(session, analyst, wave_id, measure, SegmentOptions(**options))

    with pytest.raises(DomainError, match="by: 'customer_id' is not a segment"):
        compare(by="customer_id", column="NPS")
    with pytest.raises(DomainError, match="by: None is not a segment"):
        compare(column="NPS")
    with pytest.raises(DomainError, match="column: 'COMMENT' is not a scale question"):
        compare(by="channel", column="COMMENT")
    with pytest.raises(DomainError, match="scale: expected whole numbers"):
        compare(by="channel", column="NPS", scale="1.5-5")
    with pytest.raises(InputError, match="column NPS: value 9 is outside the scale 1–5"):
        compare(SegmentMeasure.SHARE, by="channel", column="NPS", scale="1-5")
