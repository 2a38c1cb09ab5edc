"""Classifier two-sample test and corner-texture check on real ACDC frames (1.5 mm, 96 px) against
frames altered in a known way, and the rank formula of the AUC against its pairwise definition."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from cardio_monai.data import frame_datalist
from cardio_monai.evaluation.realism import corner_sd
from cardio_monai.evaluation.two_sample import (
    centre_crops,
    classifier_two_sample_test,
    control_labels,
    cross_fitted_scores,
    subject_folds,
    weighted_auc,
)

SUBJECTS = [f"patient{k:03d}" for k in (1, 11, 21, 31, 41, 51, 61, 71, 81, 91)]  # the five ACDC groups
FAST = {"folds": 3, "epochs": 4, "bootstrap": 300, "channels": (8, 16, 32), "seed": 0, "control_repeats": 3}


@pytest.fixture(scope="module")
def real(acdc_dir):
    return frame_datalist(str(acdc_dir), pixel_mm=1.5, size=96, subjects=SUBJECTS)


def _blurred(items, sigma_px: float = 1.5):
    return [{**i, "image": gaussian_filter(i["image"], (0, sigma_px, sigma_px)).astype(np.float32)} for i in items]


def test_weighted_auc_matches_the_pairwise_definition():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 6, 40).astype(float)  # many ties
    targets = rng.integers(0, 2, 40)
    weights = rng.integers(0, 3, (5, 40)).astype(float)
    pos, neg = targets == 1, targets == 0
    for w, auc in zip(weights, weighted_auc(scores, targets, weights), strict=True):
        d = scores[pos][:, None] - scores[neg][None, :]
        pair_w = w[pos][:, None] * w[neg][None, :]
        assert auc == pytest.approx(((d > 0) + 0.5 * (d == 0)).ravel() @ pair_w.ravel() / pair_w.sum())
    assert weighted_auc(np.arange(4.0), np.array([0, 0, 1, 1])) == 1.0
    fold = np.arange(40) % 4  # within-fold pairs only: a fold's own offset changes nothing
    within = weighted_auc(scores, targets, weights, strata=fold)
    np.testing.assert_allclose(weighted_auc(scores + 100.0 * fold, targets, weights, strata=fold), within)
    assert not np.allclose(weighted_auc(scores + 100.0 * fold, targets, weights), within)


def test_centre_crops_are_renormalised_each_on_its_own(real):
    crops, subjects = centre_crops(real, crop=64)
    assert crops.shape == (2 * len(real), 64, 64) and len(subjects) == len(crops)
    scaled, _ = centre_crops([{**i, "image": 0.3 * i["image"] + 0.2} for i in real], crop=64)
    np.testing.assert_allclose(scaled, crops, atol=1e-5)  # no global scale or offset left
    assert np.mean(crops == 0.0) == pytest.approx(0.03, abs=0.01)  # 3 % below the low percentile


def test_folds_keep_each_subject_on_one_side_and_balance_strata():
    subjects = np.repeat([f"s{k}" for k in range(10)], 4)
    strata = np.repeat(np.arange(10) % 2, 4)
    fold = subject_folds(subjects, 3, seed=1, strata=strata)
    for name in np.unique(subjects):
        assert len(set(fold[subjects == name])) == 1
    for k in range(3):
        test = fold == k
        assert not set(subjects[test]) & set(subjects[~test])
        assert set(strata[test]) == {0, 1}
    with pytest.raises(ValueError):
        cross_fitted_scores(np.zeros((40, 8, 8), np.float32), strata, subjects, np.arange(40) % 3, 0, {})


def test_control_splits_each_subject_in_halves_or_the_subjects_in_halves(real):
    _, subjects = centre_crops(real)
    by_slices = control_labels(real, "slices", np.random.default_rng(0))
    by_subjects = control_labels(real, "subjects", np.random.default_rng(0))
    for name in SUBJECTS:
        mine = subjects == name
        assert abs(2 * by_slices[mine].sum() - mine.sum()) <= 2  # halves, to a slice (its 2 frames)
        assert len(set(by_subjects[mine])) == 1
    assert by_slices.reshape(-1, 2).std(1).max() == 0  # ED and ES of a slice on the same side
    assert sum(by_subjects[subjects == n][0] for n in SUBJECTS) == len(SUBJECTS) // 2


def test_blurred_frames_are_told_apart_and_real_against_real_is_not(real):
    result = classifier_two_sample_test(real, _blurred(real), **FAST)
    assert result["auc"] > 0.95 and result["ci_low"] > 0.85
    assert result["n_subjects"] == len(SUBJECTS) and result["n_frames"] == 4 * len(real)
    control = result["control"]
    assert control["ci_low"] < 0.5 < control["ci_high"]
    assert control["n_frames"] == 2 * len(real) and abs(control["auc"] - 0.5) < 0.3
    again = classifier_two_sample_test(real, _blurred(real), **FAST)
    assert again == result  # deterministic given the seed


def test_corner_check_flags_a_bright_noisy_corner_and_passes_real_frames(real):
    assert corner_sd(real, real)["passed"]
    assert all(r == pytest.approx(1.0) for r in corner_sd(real, real)["ratio"].values())
    rng = np.random.default_rng(0)
    noisy, flat = [], []
    for item in real:
        image = item["image"].copy()
        image[:, -12:, :12] = rng.uniform(0.0, 1.0, (len(image), 12, 12))  # SD 0.29; real corners 0.1-0.2
        noisy.append({**item, "image": image})
        image = item["image"].copy()
        image[:, :12, :12] = 0.8
        flat.append({**item, "image": image})
    check = corner_sd(real, noisy)
    assert not check["passed"] and check["ratio"]["bottom_left"] > 1.5
    assert check["ratio"]["top_right"] == pytest.approx(1.0)
    check = corner_sd(real, flat)  # too smooth fails as well
    assert not check["passed"] and check["ratio"]["top_left"] == 0.0
