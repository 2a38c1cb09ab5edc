"""The readers' combination on analytic data: the least-squares weight, the calibrated SDs, the limits
of agreement, and its file."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.errors import InputError
from cardio_monai.readers import Combination, fit_combination
from cardio_monai.readers.combine import seg_weight
from cardio_monai.volumes import ejection_fraction_pct


def _cohort(n: int = 400, seed: int = 0, sd_sfera: float = 20.0, sd_seg: float = 8.0):
    g = np.random.default_rng(seed)
    edv = g.uniform(80, 300, n)
    esv = edv * g.uniform(0.2, 0.8, n)
    ref = {"EDV": edv, "ESV": esv, "EF": ejection_fraction_pct(edv, esv)}
    sfera = {"EDV": edv + g.normal(0, sd_sfera, n), "ESV": esv + g.normal(0, sd_sfera, n)}
    seg = {"EDV": edv + g.normal(0, sd_seg, n), "ESV": esv + g.normal(0, sd_seg, n)}
    return sfera, seg, ref


def test_weight_is_the_inverse_variance_weight_for_independent_errors():
    sfera, seg, ref = _cohort()
    w = seg_weight(sfera["EDV"], seg["EDV"], ref["EDV"])
    assert w == pytest.approx(20.0**2 / (20.0**2 + 8.0**2), abs=0.05)
    assert seg_weight(ref["EDV"] + 5, ref["EDV"], ref["EDV"]) == pytest.approx(1.0)


def test_combined_estimate_beats_both_readers_and_its_sd_covers_95_percent():
    sfera, seg, ref = _cohort()
    c = fit_combination(sfera, seg, ref)
    test_sfera, test_seg, test_ref = _cohort(seed=1)
    comb = np.array(
        [
            c.combine((a, b), (x, y))
            for a, b, x, y in zip(test_sfera["EDV"], test_sfera["ESV"], test_seg["EDV"], test_seg["ESV"])
        ]
    )
    rmse = lambda p, r: float(np.sqrt(np.mean((p - r) ** 2)))  # noqa: E731
    assert (
        rmse(comb[:, 0], test_ref["EDV"])
        < rmse(test_seg["EDV"], test_ref["EDV"])
        < rmse(test_sfera["EDV"], test_ref["EDV"])
    )
    sd_edv, _, sd_ef = np.array([c.combined.sds(e, s) for e, s in comb[:, :2]]).T
    covered = np.abs(comb[:, 0] - test_ref["EDV"]) <= 1.96 * sd_edv
    assert 0.9 <= covered.mean() <= 0.99
    assert 0.9 <= np.mean(np.abs(comb[:, 2] - test_ref["EF"]) <= 1.96 * sd_ef) <= 0.99


def test_agreement_flag_uses_the_limits_of_agreement():
    sfera, seg, ref = _cohort()
    c = fit_combination(sfera, seg, ref)
    lo, hi = c.limits_of_agreement["EDV"]
    assert lo < 0 < hi and hi - lo == pytest.approx(2 * 1.96 * np.hypot(20, 8), rel=0.15)
    assert c.agree((150.0, 60.0), (150.0, 60.0))
    assert not c.agree((150.0, 60.0), (150.0 + 2 * hi, 60.0))


def test_save_load_round_trip_and_bad_files(tmp_path):
    c = fit_combination(*_cohort(n=50))
    again = Combination.load(c.save(tmp_path / "c.json"))
    assert again.combine((100.0, 40.0), (110.0, 50.0)) == c.combine((100.0, 40.0), (110.0, 50.0))
    with pytest.raises(InputError, match="no such"):
        Combination.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"seg_weight": 1}')
    with pytest.raises(InputError, match="not a readers' combination file"):
        Combination.load(tmp_path / "bad.json")


def test_too_few_subjects_is_refused():
    sfera, seg, ref = _cohort(n=5)
    with pytest.raises(ValueError, match="at least 10"):
        fit_combination(sfera, seg, ref)
