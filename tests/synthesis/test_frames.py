"""GauGAN training frames: ED/ES slices with their label maps, preprocessed."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.data import frame_augmentation, frame_datalist
from cardio_monai.io import InputError, find_studies


def test_frames_are_the_labelled_slices_in_unit_range(phantom_dir):
    items = frame_datalist(phantom_dir, pixel_mm=1.5, size=64)
    subjects = {s.subject for s in find_studies(phantom_dir)}
    assert {i["subject"] for i in items} == subjects
    for item in items:
        assert item["image"].shape == item["label"].shape == (2, 64, 64)
        assert item["image"].min() >= 0.0 and item["image"].max() <= 1.0
        assert set(np.unique(item["label"])) <= {0, 1, 2, 3} and item["label"].any()
    one = frame_datalist(phantom_dir, pixel_mm=1.5, size=64, subjects=[sorted(subjects)[0]])
    assert {i["subject"] for i in one} == {sorted(subjects)[0]}


def test_per_frame_items_split_each_slice_into_its_two_phases(phantom_dir):
    pairs = frame_datalist(phantom_dir, pixel_mm=1.5, size=64)
    frames = frame_datalist(phantom_dir, pixel_mm=1.5, size=64, phases=1)
    assert len(frames) == 2 * len(pairs)
    for k, pair in enumerate(pairs):
        for p in range(2):
            item = frames[2 * k + p]
            assert item["phase"] == p and (item["subject"], item["slice"]) == (pair["subject"], pair["slice"])
            np.testing.assert_array_equal(item["image"], pair["image"][p : p + 1])
            np.testing.assert_array_equal(item["label"], pair["label"][p : p + 1])
    with pytest.raises(ValueError, match="phases=3"):
        frame_datalist(phantom_dir, pixel_mm=1.5, size=64, phases=3)


def test_augmentation_moves_frames_and_labels_together(phantom_dir):
    item = frame_datalist(phantom_dir, pixel_mm=1.5, size=64)[0]
    aug = frame_augmentation(prob=1.0)
    aug.set_random_state(3)
    out = aug(dict(item))
    # The LV (label 3) keeps its intensities: same pixels moved in both.
    lv_before = np.sort(item["image"][0][item["label"][0] == 3])
    lv_after = np.sort(np.asarray(out["image"])[0][np.asarray(out["label"])[0] == 3])
    np.testing.assert_allclose(lv_after, lv_before, atol=1e-6)


def test_source_without_labels_is_refused(tmp_path, sample_dir):
    from cardio_monai.data import study_frames
    from cardio_monai.io import read_study

    rec = read_study(sample_dir, with_labels=False)
    with pytest.raises(InputError, match="label maps"):
        study_frames(rec, 1.5, 64)
