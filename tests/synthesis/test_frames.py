"""GauGAN training frames: ED/ES slices with their label maps, preprocessed."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.io import InputError, find_studies
from cardio_monai.synthesis.frames import frame_augmentation, frame_datalist


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
    from cardio_monai.io import read_study
    from cardio_monai.synthesis.frames import study_frames

    rec = read_study(sample_dir, with_labels=False)
    with pytest.raises(InputError, match="label maps"):
        study_frames(rec, 1.5, 64)
