"""Kruskal-Wallis comparison of two predictors' absolute errors."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.evaluation import compare_absolute_errors, kruskal_wallis


def test_detects_worse_predictor():
    rng = np.random.default_rng(0)
    ref = rng.uniform(20, 75, 60)
    good = ref + rng.normal(0, 2.0, ref.size)
    bad = ref + rng.normal(0, 10.0, ref.size)
    res = compare_absolute_errors(good, bad, ref)
    assert res["p_value"] < 0.01 and res["statistic"] > 0
    assert res["n"] == [60, 60]


def test_identical_predictors_not_different():
    rng = np.random.default_rng(1)
    ref = rng.uniform(20, 75, 60)
    pred = ref + rng.normal(0, 4.0, ref.size)
    res = compare_absolute_errors(pred, pred.copy(), ref)
    assert res["statistic"] == pytest.approx(0.0, abs=1e-9)
    assert res["p_value"] == pytest.approx(1.0)


def test_all_equal_values():
    # scipy refuses samples that are all one value; equal samples mean no evidence of a difference
    res = kruskal_wallis(np.zeros(5), np.zeros(7))
    assert res == {"statistic": 0.0, "p_value": 1.0, "n": [5, 7]}
