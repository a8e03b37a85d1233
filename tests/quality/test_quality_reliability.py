"""Cronbach's alpha against pingouin (itself validated against R psych) and by hand."""

from __future__ import annotations

import numpy as np
import pytest

from touchpoint.quality.reliability import (
    covariance_from_sscp,
    cronbach_alpha,
    cronbach_alpha_from_sscp,
)

pg = pytest.importorskip("pingouin")


def test_pingouin_wide_missing_listwise() -> None:
    # pingouin 0.7 docstring: psych::alpha(data, use="complete.obs") = 0.8016949152542373
    data = pg.read_dataset("cronbach_wide_missing")
    ours = cronbach_alpha(data.to_numpy(dtype=float))
    theirs, _ = pg.cronbach_alpha(data=data, nan_policy="listwise")
    assert ours.alpha == pytest.approx(0.8016949152542373, abs=1e-12)
    assert ours.alpha == pytest.approx(float(theirs), abs=1e-12)
    assert ours.n == len(data.dropna())


def test_pingouin_long_format_likert() -> None:
    # pingouin 0.7 docstring: 0.5917188485995826 on the "cronbach_alpha" dataset
    data = pg.read_dataset("cronbach_alpha")
    wide = data.pivot_table(index="Subj", columns="Items", values="Scores", aggfunc="first")
    ours = cronbach_alpha(wide.to_numpy(dtype=float))
    theirs, _ = pg.cronbach_alpha(data=data, items="Items", scores="Scores", subject="Subj")
    assert ours.alpha == pytest.approx(float(theirs), abs=1e-12)
    assert ours.alpha == pytest.approx(0.5917188485995826, abs=1e-12)


def test_alpha_if_item_deleted_matches_pingouin_on_the_reduced_scale() -> None:
    data = pg.read_dataset("cronbach_wide_missing").dropna()
    ours = cronbach_alpha(data.to_numpy(dtype=float))
    for j, column in enumerate(data.columns):
        theirs, _ = pg.cronbach_alpha(data=data.drop(columns=column))
        assert ours.alpha_if_deleted[j] == pytest.approx(float(theirs), abs=1e-12)


def test_sufficient_statistics_equal_raw_computation() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 8, (200, 5)).astype(float) + rng.normal(0, 1, (200, 1)).round()
    raw = cronbach_alpha(x)
    from_sums = cronbach_alpha_from_sscp(200, x.sum(0), x.T @ x)
    assert raw == from_sums
    np.testing.assert_allclose(covariance_from_sscp(200, x.sum(0), x.T @ x), np.cov(x.T))


def test_null_cases() -> None:
    assert cronbach_alpha([[1, 2, 3]]).alpha is None  # one respondent
    assert cronbach_alpha([[3, 3], [3, 3], [3, 3]]).alpha is None  # zero variance
    one_item = cronbach_alpha([[1], [2], [3]])
    assert one_item.alpha is None and one_item.alpha_if_deleted == (None,)
    two = cronbach_alpha([[1, 2], [2, 3], [4, 4]])
    assert two.alpha_if_deleted == (None, None)  # one item left: undefined
    assert cronbach_alpha([[np.nan, 1], [np.nan, 2]]).n == 0
