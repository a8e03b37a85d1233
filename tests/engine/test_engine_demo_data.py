"""The demo generator is seeded and its planted story comes out of the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.engine.support import materialise
from touchpoint.engine import ahp, kano, servqual, zone
from touchpoint.engine.demo_data import (
    HOTEL,
    UTILITY,
    ahp_document,
    item_wording,
    kano_survey,
    servqual_survey,
    zone_survey,
)


def test_seeded_and_in_range() -> None:
    a = servqual_survey(UTILITY, 200, seed=1)
    b = servqual_survey(UTILITY, 200, seed=1)
    c = servqual_survey(UTILITY, 200, seed=2)
    assert all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in a)
    assert not np.array_equal(a["E1"], c["E1"], equal_nan=True)
    answers = np.concatenate([a[f"{p}{i}"] for p in "EP" for i in range(1, 23)])
    answers = answers[~np.isnan(answers)]
    assert answers.min() >= 1 and answers.max() <= 7 and np.all(answers == np.round(answers))
    points = np.column_stack([a[f"W_{d}"] for d in UTILITY.allocation])
    complete = points[~np.isnan(points).any(axis=1)]
    assert np.all(complete.sum(axis=1) == 100)


def test_utility_story(tmp_path: Path) -> None:
    report = servqual(
        materialise(servqual_survey(UTILITY, 1500, seed=3), "parquet", tmp_path), by="channel"
    )
    gaps = {d.dimension: d.gap for d in report.dimensions}
    assert min(gaps, key=lambda d: gaps[d] or 0) == "reliability"
    assert all(-6 <= (g or 0) <= 0.5 for g in gaps.values())
    assert all((d.alpha_perception or 0) > 0.7 for d in report.dimensions)
    responsiveness = {
        g.group: next(d.gap for d in g.dimensions if d.dimension == "responsiveness")
        for g in report.groups
    }
    assert min(responsiveness, key=lambda k: responsiveness[k] or 0) == "95598 hotline"
    assert max(responsiveness, key=lambda k: responsiveness[k] or 0) == "app"
    weights = report.weights
    assert weights is not None and max(weights, key=weights.__getitem__) == "reliability"
    features = {
        f.feature: f.result.category
        for f in kano(materialise(kano_survey(UTILITY, 800, seed=3), "parquet", tmp_path)).features
    }
    assert features["outage_sms"] == "M" and features["restore_eta"] == "A"
    assert features["app_payment"] == "O" and features["paper_bill"] == "I"


def test_hotel_story(tmp_path: Path) -> None:
    report = servqual(materialise(servqual_survey(HOTEL, 1000, seed=4), "csv", tmp_path))
    gaps = {d.dimension: d.gap or 0 for d in report.dimensions}
    assert min(gaps, key=lambda d: gaps[d]) == "tangibles"
    assert gaps["empathy"] > 0
    tolerance = zone(materialise(zone_survey(HOTEL, 600, seed=4), "parquet", tmp_path))
    shares = {d.dimension: d.share_below or 0 for d in tolerance.dimensions}
    assert max(shares, key=lambda d: shares[d]) == "tangibles"
    kano_features = {
        f.feature: f.result.category
        for f in kano(materialise(kano_survey(HOTEL, 600, seed=4), "parquet", tmp_path)).features
    }
    assert kano_features["free_wifi"] == "M"
    assert kano_features["remembered_preferences"] == "A"


def test_ahp_document_is_a_consistent_group_hierarchy() -> None:
    report = ahp(ahp_document(UTILITY, seed=5))
    assert report.root.consistent
    assert max(report.weights, key=lambda k: report.weights[k]) == "reliability"
    assert report.global_weights is not None
    assert abs(sum(report.global_weights.values()) - 1) < 1e-12
    assert all(r.consistent for r in report.nodes.values())


def test_item_wording_is_bilingual() -> None:
    wording = item_wording(UTILITY)
    assert len(wording["en"]) == 22 and len(wording["zh"]) == 22
    assert "95598" in wording["zh"][10]
    assert item_wording(HOTEL)["dimension"][19] == "empathy"
