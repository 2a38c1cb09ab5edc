"""Realism measures of synthetic frames: contrast ratio (analytic) and the segmenter's Dice."""

from __future__ import annotations

import numpy as np
import pytest

from cardio_monai.synthesis.frames import frame_datalist
from cardio_monai.synthesis.realism import contrast_ratio, dice_per_label, make_segmenter, train_segmenter


def test_contrast_ratio_of_known_intensities():
    label = np.zeros((2, 8, 8), np.uint8)
    label[:, 2:4, 2:4] = 3
    label[:, 5:7, 5:7] = 2
    image = np.where(label == 3, 0.9, np.where(label == 2, 0.3, 0.1)).astype(np.float32)
    assert contrast_ratio([{"image": image, "label": label}]) == pytest.approx(3.0)
    assert np.isnan(contrast_ratio([{"image": image, "label": np.where(label == 2, 0, label)}]))


def test_segmenter_learns_real_frames_and_fails_on_noise(phantom_dir):
    items = frame_datalist(phantom_dir, pixel_mm=3.0, size=32)
    net = train_segmenter(items, epochs=40, batch=8, network=make_segmenter((8, 16, 32), num_res_units=1))
    real = dice_per_label(net, items)
    assert real[3] > 0.8 and real[2] > 0.5  # LV cavity and myocardium of frames it was trained on
    rng = np.random.default_rng(0)
    noise = [{"image": rng.random(i["image"].shape, dtype=np.float32), "label": i["label"]} for i in items]
    assert dice_per_label(net, noise)[3] < real[3] - 0.3
