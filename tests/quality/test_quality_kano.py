"""Kano: evaluation table, Berger/Matzler coefficients, Fong's test, tie rules."""

from __future__ import annotations

import numpy as np
import pytest

from tests.quality.published import load
from touchpoint.quality.kano import (
    KANO_TABLE,
    KanoCategory,
    better_worse,
    fong_significant,
    kano,
    kano_category,
    kano_from_counts,
    kano_from_table,
    table_counts,
)


def test_published_better_worse() -> None:
    document = load("kano_berger_matzler.json")
    for feature in document["features"]:
        result = kano_from_counts(feature["counts"])
        assert result.better == pytest.approx(feature["better"], abs=document["tolerance"])
        assert result.worse == pytest.approx(feature["worse"], abs=document["tolerance"])


def test_evaluation_table_matches_domain() -> None:
    rows = ["QAAAO", "RIIIM", "RIIIM", "RIIIM", "RRRRQ"]
    for f, row in enumerate(rows, start=1):
        for d, code in enumerate(row, start=1):
            assert kano_category(f, d).value == code
    assert len(KANO_TABLE) == 5
    with pytest.raises(ValueError, match="1–5"):
        kano_category(0, 3)


def test_fong_boundary() -> None:
    # |a - b| against 1.65 * sqrt((a + b)(2n - a - b) / (2n)), n = 100
    n, a = 100, 40
    threshold = 1.65 * np.sqrt((a + 30) * (2 * n - a - 30) / (2 * n))
    assert threshold == pytest.approx(11.13, abs=0.01)
    assert not fong_significant(40, 30, n)  # difference 10 < 11.13
    assert fong_significant(40, 28, n)  # 12 >= 1.65 * sqrt(68 * 132 / 200) = 11.05
    assert not fong_significant(0, 0, 0)


def test_category_falls_back_in_order_m_o_a_i() -> None:
    close = kano_from_counts({"A": 40, "O": 38, "M": 10, "I": 12})
    assert close.mode is KanoCategory.ATTRACTIVE
    assert not close.significant
    assert close.category is KanoCategory.ONE_DIMENSIONAL  # O before A
    clear = kano_from_counts({"A": 70, "O": 20, "M": 5, "I": 5})
    assert clear.significant and clear.category is KanoCategory.ATTRACTIVE
    tie = kano_from_counts({"I": 10, "M": 10})
    assert tie.mode is KanoCategory.MUST_BE and tie.category is KanoCategory.MUST_BE


def test_runner_up_nobody_chose_never_wins() -> None:
    single = kano_from_counts({"A": 1})
    assert not single.significant  # n = 1: 1 < 1.65 * sqrt(1/2)
    assert single.category is KanoCategory.ATTRACTIVE


def test_better_worse_null_without_a_o_m_i() -> None:
    assert better_worse(0, 0, 0, 0) == (None, None)
    only_reverse = kano_from_counts({"R": 3, "Q": 1})
    assert only_reverse.better is None and only_reverse.worse is None
    empty = kano_from_counts({})
    assert empty.n == 0 and empty.mode is None and empty.category is None


def test_raw_pairs_and_table_agree() -> None:
    rng = np.random.default_rng(5)
    f = rng.integers(1, 6, 300).astype(float)
    d = rng.integers(1, 6, 300).astype(float)
    f[:7] = np.nan
    table = np.zeros((5, 5), dtype=int)
    for fv, dv in zip(f[7:], d[7:], strict=True):
        table[int(fv) - 1, int(dv) - 1] += 1
    assert kano(f, d) == kano_from_table(table)
    assert sum(table_counts(table).values()) == 293
    with pytest.raises(ValueError, match="answers must be 1–5"):
        kano([1, 6], [1, 1])
    with pytest.raises(ValueError, match="5×5"):
        table_counts(np.zeros((4, 5)))
