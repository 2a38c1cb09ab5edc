"""Training frames of the LV segmentation reader: the ED and ES frames of every slice of the whole stack
(the base and apex slices without any label included, so the network learns where the heart is not),
with their label maps, as 2D items.

A study becomes a (2, Z, S, S) stack through the chain the bundle's ``train.json`` declares (``stack_preprocessing``:
read with labels, resample to ``pixel_mm``, image-centred window of S pixels, [3, 97] % to [0, 1]);
:func:`stack_frames` splits stacks into items ``image`` float32 (1, S, S), ``label`` int64 (1, S, S) (0 bg, 1 RV,
2 myocardium, 3 LV cavity), ``subject``, ``slice``, ``phase`` (0 ED, 1 ES); with through-plane context
the image has 1 + 2c channels, the slice and its c neighbours on each side. :func:`frame_sampler` may draw
the frames whose cavity is small against its wall (ES of hypertrophied hearts) more often.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
from monai.transforms import (
    Compose,
    RandAdjustContrastd,
    RandFlipd,
    RandGaussianNoised,
    RandRotate90d,
    RandScaleIntensityd,
    RandSpatialCropd,
)

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM
from cardio_monai.keys import IMAGE, LABEL, SUBJECT
from cardio_monai.transforms import RandReverseContextd, slice_context


def stack_frames(stacks: Iterable[Mapping[str, Any]], context_slices: int = 0) -> list[dict[str, Any]]:
    """2D items of preprocessed stacks (``image`` (2, Z, S, S) float, ``label`` (2, Z, S, S) int): one item
    per phase and slice, every slice of the stack (empty label maps included). ``image`` is (1 + 2c, S, S)
    with c = ``context_slices`` neighbours on each side (:func:`cardio_monai.transforms.slice_context`)."""
    items: list[dict[str, Any]] = []
    for stack in stacks:
        image = np.asarray(stack[IMAGE], dtype=np.float32)
        label = np.asarray(stack[LABEL], dtype=np.int64)
        if image.shape != label.shape or image.ndim != 4:
            raise ValueError(f"{stack.get(SUBJECT)}: image {image.shape} and label {label.shape} must be (2, Z, S, S)")
        frames = slice_context(image, context_slices)
        for p in range(image.shape[0]):
            for z in range(image.shape[1]):
                items.append(
                    {
                        IMAGE: frames[p, z].copy(),
                        LABEL: label[p, z][None].copy(),
                        SUBJECT: stack.get(SUBJECT),
                        "slice": z,
                        "phase": p,
                    }
                )
    return items


def frame_weights(frames: Iterable[Mapping[str, Any]], max_weight: float) -> np.ndarray:
    """Sampling weight of each frame: its myocardium-to-LV-cavity area ratio clipped to [1, ``max_weight``];
    1 where the frame has no cavity. On ACDC the ratio's median is 0.74 at ED and 1.75 at ES, 5.0 at ES in
    HCM: with ``max_weight`` 4 the thick-walled ES frames are drawn about 3x as often as the others."""
    weights = []
    for frame in frames:
        label = np.asarray(frame[LABEL])
        cavity = int((label == LABEL_LV).sum())
        wall = int((label == LABEL_MYOCARDIUM).sum())
        weights.append(min(max(wall / cavity, 1.0), max_weight) if cavity else 1.0)
    return np.asarray(weights, dtype=np.float64)


def frame_sampler(frames: list[Mapping[str, Any]], max_weight: float = 1.0) -> torch.utils.data.Sampler | None:
    """A ``WeightedRandomSampler`` of one epoch's worth of frames (``len(frames)`` draws with replacement, by
    :func:`frame_weights`; torch's global generator, so seeded and resumed like a shuffle), or None for
    ``max_weight <= 1`` (every frame once per epoch: the DataLoader's own shuffle). ``multi_gpu_train.json``
    replaces it by a ``DistributedSampler``: no weighting there."""
    if max_weight <= 1.0:
        return None
    weights = torch.as_tensor(frame_weights(frames, max_weight))
    return torch.utils.data.WeightedRandomSampler(weights, num_samples=len(frames), replacement=True)


def frame_augmentation(
    crop: int = 128, prob: float = 0.5, orientations: bool = False, context_slices: int = 0
) -> Compose:
    """Training augmentation of a (C, S, S) frame and its label map: a random ``crop`` x ``crop`` window
    (shifts the heart by up to (S - crop) / 2 pixels), intensity scale, gamma and noise; with
    ``context_slices`` > 0 the neighbours reversed half the time (stacks come in either slice order); with
    ``orientations`` also a random flip and quarter turn (all 8 layouts of the heart). Off by default: the
    reader turns every input to the training layout instead (``reader.choose_orientation``), and the
    network trained on all 8 was worse on ACDC at the same epochs (docs/segmentation_reader.md).
    (A random small-angle rotation cost a third of a training step on 2 CPU threads and is left out.)"""
    keys = [IMAGE, LABEL]
    turns = [RandFlipd(keys, prob=prob, spatial_axis=1), RandRotate90d(keys, prob=0.75, max_k=3, spatial_axes=(0, 1))]
    return Compose(
        [
            RandSpatialCropd(keys, roi_size=(crop, crop), random_size=False),
            *(turns if orientations else []),
            *([RandReverseContextd(IMAGE, prob=0.5)] if context_slices > 0 else []),
            RandScaleIntensityd(IMAGE, factors=0.15, prob=prob),
            RandAdjustContrastd(IMAGE, gamma=(0.7, 1.5), prob=prob),
            RandGaussianNoised(IMAGE, std=0.02, prob=prob),
        ]
    )
