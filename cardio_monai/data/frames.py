"""Real 2D training frames of the GauGAN bundle: ED and ES of every labelled slice with its label maps,
preprocessed as the regressor's inputs are (in-plane resampling, crop, [3, 97] % to [0, 1]).

One item per slice: ``image`` float32 (2, S, S) (ED, ES), ``label`` uint8 (2, S, S) (0 background,
1 RV, 2 myocardium, 3 LV cavity), ``subject``, ``slice`` (index base to apex within the labelled range).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.transforms import Compose, RandFlipd, RandRotate90d

from cardio_monai.errors import InputError
from cardio_monai.io import find_studies
from cardio_monai.keys import IMAGE, LABEL, SUBJECT
from cardio_monai.transforms import preprocess_record
from cardio_monai.utils import progress


def study_frames(record, pixel_mm: float, size: int, phases: int = 2) -> list[dict[str, Any]]:
    """The slice items of one record with ED and ES label maps (crop centred on the LV: labels exist
    here, and the generator learns the heart, not where a scanner put it). ``phases=1``: the ED and ES
    frames of a slice as two items of shape (1, S, S) (the per-frame model's data), with ``phase`` 0 or 1."""
    if record.ed is None or record.es is None or record.ed not in record.labels or record.es not in record.labels:
        raise InputError(record.source, f"{record.subject}: GauGAN training needs ED and ES label maps")
    d = preprocess_record(record, use_labels=True, crop_centre="label", pixel_mm=pixel_mm, size=size)
    image, label = d[IMAGE], np.asarray(d[LABEL], dtype=np.uint8)
    if phases not in (1, 2):
        raise ValueError(f"phases={phases}: 2 (ED and ES together) or 1 (one frame an item)")
    items = [
        {IMAGE: image[:, z].copy(), LABEL: label[:, z].copy(), SUBJECT: record.subject, "slice": z}
        for z in range(image.shape[1])
        if label[:, z].any()
    ]
    if phases == 2:
        return items
    return [
        {**item, IMAGE: item[IMAGE][p : p + 1], LABEL: item[LABEL][p : p + 1], "phase": p}
        for item in items
        for p in range(2)
    ]


def frame_datalist(
    dataset: str | Path | Sequence,
    pixel_mm: float = 1.0,
    size: int = 128,
    subjects: Sequence[str] | None = None,
    phases: int = 2,
) -> list[dict[str, Any]]:
    """Slice items of every study of ``dataset`` (any INPUT form with ED/ES label maps), or of the
    ``subjects`` named (a training split), read and preprocessed once; ``phases`` as in :func:`study_frames`."""
    sources = find_studies(dataset) if isinstance(dataset, str | Path) else list(dataset)
    if subjects is not None:
        wanted = set(subjects)
        sources = [s for s in sources if s.subject in wanted]
    items: list[dict[str, Any]] = []
    for source in progress(sources, desc="frames"):
        items += study_frames(source.read(with_labels=True), pixel_mm, size, phases)
    return items


def frame_augmentation(prob: float = 0.5) -> Compose:
    """Flips and 90-degree turns applied alike to the frames and their label maps."""
    return Compose(
        [
            RandFlipd([IMAGE, LABEL], prob=prob, spatial_axis=0),
            RandFlipd([IMAGE, LABEL], prob=prob, spatial_axis=1),
            RandRotate90d([IMAGE, LABEL], prob=prob, spatial_axes=(0, 1)),
        ]
    )


def frame_tensors(items: Sequence[dict[str, Any]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Items with ``image`` and ``label`` (P, H, W) -> frames (N, 1, H, W) float32 and labels (N, 1, H, W)
    int64, the P phases of every item split into frames of their own."""
    images = np.concatenate([np.asarray(i[IMAGE], dtype=np.float32) for i in items])
    labels = np.concatenate([np.asarray(i[LABEL], dtype=np.int64) for i in items])
    return torch.as_tensor(images)[:, None], torch.as_tensor(labels)[:, None]
