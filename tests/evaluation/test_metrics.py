"""Agreement metrics on analytic data and the seeded bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.evaluation import METRIC_NAMES, agreement, agreement_stats, bootstrap_ci, cardiac_agreement


def test_known_errors():
    # errors +-3 around a bias of 2: RMSE = sqrt(2^2 + 3^2), MAE = (5 + 1) / 2, population SD 3
    ref = np.array([10.0, 20.0, 30.0, 40.0])
    pred = ref + np.array([5.0, -1.0, 5.0, -1.0])
    st = agreement_stats(pred, ref)
    assert st["rmse"] == pytest.approx(np.sqrt(13.0))
    assert st["bias"] == pytest.approx(2.0)
    assert st["mae"] == pytest.approx(3.0)
    assert st["rmse_sd"] == pytest.approx(3.0 * np.sqrt(4 / 3))  # sample SD (ddof 1)
    assert st["loa_upper"] - st["loa_lower"] == pytest.approx(2 * 1.96 * st["rmse_sd"])
    assert st["pearson_r"] == pytest.approx(np.corrcoef(pred, ref)[0, 1])


def test_linear_predictor():
    ref = np.linspace(50.0, 250.0, 41)
    pred = 2.0 * ref + 7.0  # perfectly correlated, large errors
    st = agreement_stats(pred, ref)
    assert st["pearson_r"] == pytest.approx(1.0)
    assert st["bias"] == pytest.approx(ref.mean() + 7.0)
    assert st["rmse"] == pytest.approx(np.sqrt(np.mean((ref + 7.0) ** 2)))
    anti = agreement_stats(-ref, ref)
    assert anti["pearson_r"] == pytest.approx(-1.0)


def test_perfect_predictor_and_small_n():
    ref = np.array([60.0, 55.0, 35.0])
    st = agreement_stats(ref.copy(), ref)
    assert st["rmse"] == 0 and st["mae"] == 0 and st["bias"] == 0 and st["pearson_r"] == pytest.approx(1.0)
    one = agreement(np.array([42.0]), np.array([40.0]))
    assert one["n"] == 1 and one["rmse"]["value"] == pytest.approx(2.0)
    assert one["rmse_sd"]["value"] is None and one["pearson_r"]["value"] is None  # undefined for one subject
    empty = agreement(np.array([]), np.array([]))
    assert empty["n"] == 0 and all(empty[m]["value"] is None for m in METRIC_NAMES)


def test_bootstrap_contains_estimate_and_is_seeded():
    rng = np.random.default_rng(3)
    ref = rng.uniform(60, 250, 80)
    pred = ref + rng.normal(1.5, 8.0, ref.size)
    res = agreement(pred, ref, n_bootstrap=1000, seed=7)
    for name in METRIC_NAMES:
        lo, hi = res[name]["ci95"]
        assert lo <= res[name]["value"] <= hi, name
        assert hi > lo, name
    # RMSE of N(1.5, 8) errors is ~8.1; its CI over 80 subjects must hold it
    assert res["rmse"]["ci95"][0] < 8.14 < res["rmse"]["ci95"][1]
    assert agreement(pred, ref, n_bootstrap=1000, seed=7) == res
    other = bootstrap_ci(pred, ref, n_resamples=1000, seed=8)
    assert other["rmse"] != tuple(res["rmse"]["ci95"])


def test_cardiac_agreement_computes_ef():
    edv = np.array([150.0, 200.0, 120.0, 180.0])
    esv = np.array([60.0, 120.0, 50.0, 90.0])
    res = cardiac_agreement({"EDV": edv, "ESV": esv}, {"EDV": edv, "ESV": esv + 10.0}, n_bootstrap=200)
    assert set(res) == {"EDV", "ESV", "EF"}
    assert res["EDV"]["rmse"]["value"] == 0 and res["ESV"]["bias"]["value"] == pytest.approx(-10.0)
    # EF error = 100 * 10 / EDV for each subject
    assert res["EF"]["bias"]["value"] == pytest.approx(np.mean(1000.0 / edv))
