"""Random in-plane augmentation of the regressor's training items (volumes unchanged)."""

from __future__ import annotations

import numpy as np
from monai.transforms import (
    Compose,
    RandAdjustContrastd,
    RandAffined,
    RandFlipd,
    RandGaussianNoised,
    RandRotate90d,
    RandScaleIntensityd,
)

from cardio_monai.keys import IMAGE


def augmentation(prob: float = 0.5, max_shift_px: int = 8, max_rotate_deg: float = 15.0) -> Compose:
    """Random in-plane changes that keep LV volumes: flips, 90-degree turns, a small rotation and shift
    (no scaling: pixels are millimetres), intensity gamma, scale and noise. ``image`` is (2, Z, H, W),
    seen by MONAI as channel-first 3D with the slice axis first, so every spatial op acts in-plane."""
    rad = float(np.deg2rad(max_rotate_deg))
    return Compose(
        [
            RandFlipd(IMAGE, prob=prob, spatial_axis=1),
            RandFlipd(IMAGE, prob=prob, spatial_axis=2),
            RandRotate90d(IMAGE, prob=prob, spatial_axes=(1, 2)),
            RandAffined(
                IMAGE,
                prob=prob,
                rotate_range=(rad, 0.0, 0.0),
                translate_range=(0, max_shift_px, max_shift_px),
                mode="bilinear",
                padding_mode="zeros",
            ),
            RandAdjustContrastd(IMAGE, prob=prob, gamma=(0.7, 1.5)),
            RandScaleIntensityd(IMAGE, prob=prob, factors=0.1),
            RandGaussianNoised(IMAGE, prob=prob, std=0.03),
        ]
    )
