"""The segmentation reader: LV cavity, myocardium and RV label maps of a whole stack from the images
alone, on the input's pixel grid, and the LV volumes measured on them by :mod:`cardio_monai.volumes`.

The bundle's ``inference.json`` declares the preprocessing (``preprocessing``: a study source in, a
(2, Z, S, S) window of the ED and ES stacks out, with the geometry needed to map back); this module
turns the study into the layout the network was trained on (:mod:`cardio_monai.segmentation.orientation`),
runs the network on every frame, pastes the class probabilities back into the input's grid
(:func:`cardio_monai.transforms.restore_in_plane`), takes the argmax and keeps the largest 3D connected
component of each structure (image-based post-processing; no label is read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import ndimage

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM, LABEL_RV, MIN_USABLE_SLICES
from cardio_monai.keys import CROP_CENTRE, IMAGE, ORIGINAL_SHAPE, ORIGINAL_SPACING, RESAMPLED_SHAPE, SLICE_SPACING
from cardio_monai.segmentation.orientation import FRAME_BATCH, choose_orientation, frame_probabilities
from cardio_monai.transforms import restore_in_plane
from cardio_monai.volumes import ejection_fraction_pct, lv_volume_ml, soft_slice_areas_mm2, volume_from_areas_ml


@dataclass
class SegmentationResult:
    """One study read by the segmentation reader.

    Attributes:
        labels: uint8 (2, Z, H, W) label maps at ED and ES on the input's pixel grid (0 bg, 1 RV,
            2 myocardium, 3 LV cavity).
        edv_ml, esv_ml, ef_pct: LV volumes (ml) and EF (%) by slice summation of the LV masks.
        lv_slices: (ED, ES) number of slices with LV cavity.
        warning: "" or why the numbers should not be trusted (no LV, LV on fewer than 3 slices, ESV >= EDV).
        orientation: the flip and turn (0-7) the study was read in (:mod:`cardio_monai.segmentation.orientation`).
        soft_edv_ml, soft_esv_ml: the expected LV volumes (ml) under the network's own probabilities (their
            sum over the input's grid x voxel volume, no connected component kept): where they differ from
            ``edv_ml, esv_ml`` the network was unsure of the cavity's border.
    """

    labels: np.ndarray
    edv_ml: float
    esv_ml: float
    ef_pct: float
    lv_slices: tuple[int, int]
    warning: str
    orientation: int = 0
    soft_edv_ml: float = float("nan")
    soft_esv_ml: float = float("nan")

    @property
    def soft_ef_pct(self) -> float:
        """EF (%) of the soft volumes."""
        return float(ejection_fraction_pct(self.soft_edv_ml, self.soft_esv_ml))


MIN_ENCLOSURE = 0.5
"""Below this share of the cavity border touching myocardium the segmentation is not trusted
(:func:`myocardial_enclosure`: 0.81-1.0 per phase on ACDC studies, 0.02 on an image of pure noise in which
the network still finds a 323 ml "cavity")."""
_FULL_CONNECTIVITY = np.ones((3, 3, 3), dtype=bool)


def largest_components(
    labels: np.ndarray, structures: Sequence[int] = (LABEL_RV, LABEL_MYOCARDIUM, LABEL_LV)
) -> np.ndarray:
    """(Z, H, W) label map with only the largest 3D connected component (26-connectivity) of each of
    ``structures`` kept; the rest of a structure becomes background. (MONAI's
    ``KeepLargestConnectedComponent`` needs scikit-image, which the package does not depend on.)"""
    out = np.asarray(labels, dtype=np.uint8).copy()
    for value in structures:
        mask = out == value
        components, n = ndimage.label(mask, structure=_FULL_CONNECTIVITY)
        if n > 1:
            sizes = np.bincount(components.ravel())[1:]
            out[mask & (components != 1 + int(np.argmax(sizes)))] = 0
    return out


def myocardial_enclosure(labels: np.ndarray) -> float:
    """Share of the LV cavity's in-plane border (pixels of label 3 with a 4-neighbour of another label) that
    touches myocardium, over a (..., H, W) label map: near 1 for a heart (the cavity sits inside the
    myocardium), low for a "cavity" found in an image with no heart. NaN without LV."""
    lv = labels == LABEL_LV
    myo = labels == LABEL_MYOCARDIUM
    border = np.zeros_like(lv)
    touches = np.zeros_like(lv)
    for axis, shift in ((-1, 1), (-1, -1), (-2, 1), (-2, -1)):
        other = np.roll(lv, shift, axis=axis)
        border |= lv & ~other
        touches |= lv & ~other & np.roll(myo, shift, axis=axis)
    n = int(border.sum())
    return float(touches.sum()) / n if n else float("nan")


def stack_volumes(labels: np.ndarray, spacing_mm: Sequence[float]) -> tuple[float, float, tuple[int, int], str]:
    """(EDV ml, ESV ml, LV slice counts, warning) of (2, Z, H, W) ED/ES label maps with (row, col, slice) mm."""
    edv, esv = (float(lv_volume_ml(labels[p], spacing_mm)) for p in range(2))
    counts = tuple(int(n) for n in (labels == LABEL_LV).any(axis=(-2, -1)).sum(axis=1))
    problems = []
    if min(counts) == 0:
        where = " and ".join(name for name, c in zip(("ED", "ES"), counts) if c == 0)
        problems.append(f"the segmenter found no LV cavity at {where}")
    elif min(counts) < MIN_USABLE_SLICES:
        problems.append(f"the segmenter found the LV on only {min(counts)} slice(s) (fewer than {MIN_USABLE_SLICES})")
    enclosure = myocardial_enclosure(labels)
    if not problems and enclosure < MIN_ENCLOSURE:
        problems.append(
            f"the segmented LV cavity is not enclosed by myocardium ({100 * enclosure:.0f} % of its border): "
            "no heart found?"
        )
    if not problems and esv >= edv:
        problems.append(f"segmented ESV {esv:.1f} ml >= EDV {edv:.1f} ml (ED/ES swapped?)")
    return edv, esv, counts, "; ".join(problems)


@torch.no_grad()
def segment_item(
    network: torch.nn.Module, item: Mapping[str, Any], batch: int = FRAME_BATCH, orientation: int | None = None
) -> SegmentationResult:
    """Read one preprocessed item (the bundle's ``preprocessing`` output: ``image`` (2, Z, S, S), its crop
    centre, resampled and original shapes, original pixel spacing and the slice spacing) in ``orientation``
    (0-7; None: chosen from its ED frames, :func:`~cardio_monai.segmentation.orientation.choose_orientation`)."""
    image = torch.as_tensor(np.asarray(item[IMAGE], dtype=np.float32))
    p, z = image.shape[:2]
    k = choose_orientation(network, image[0], batch) if orientation is None else orientation
    probs = frame_probabilities(network, image, batch, k)
    spacing = (*item[ORIGINAL_SPACING], float(item[SLICE_SPACING]))
    # argmax and cavity areas chunk by chunk: the full-grid probabilities of a large study never exist at once
    raw, soft_areas = [], []
    for i in range(0, p * z, batch):
        full = restore_in_plane(probs[i : i + batch], item[CROP_CENTRE], item[RESAMPLED_SHAPE], item[ORIGINAL_SHAPE])
        raw.append(full.max(1).indices.to(torch.uint8))
        soft_areas.append(soft_slice_areas_mm2(full[:, LABEL_LV].numpy(), spacing[:2]))
    raw = torch.cat(raw).numpy().reshape(p, z, *raw[0].shape[-2:])
    labels = np.stack([largest_components(raw[k]) for k in range(p)])
    edv, esv, counts, warning = stack_volumes(labels, spacing)
    ef = float(ejection_fraction_pct(edv, esv))
    soft = volume_from_areas_ml(np.concatenate(soft_areas).reshape(p, z), spacing[2])
    return SegmentationResult(labels, edv, esv, ef, counts, warning, k, float(soft[0]), float(soft[1]))
