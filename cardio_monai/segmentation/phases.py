"""ED and ES of a cine from the segmentation reader: the phases of largest and smallest LV cavity
volume (the definition, measured), for inputs that do not name them (a DICOM cine, a 4D NIfTI).

Compared on studies with reference phases with the intensity heuristic of
:func:`cardio_monai.transforms.estimate_ed_es` in ``bundles/cardiac_lv_segmentation/docs/README.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch

from cardio_monai.constants import LABEL_LV
from cardio_monai.errors import InputError
from cardio_monai.segmentation.orientation import choose_orientation, frame_labels
from cardio_monai.transforms import CropOrPadCentred, QuantileNormalise, ResampleInPlane
from cardio_monai.volumes import lv_volume_ml


class CinePhases(NamedTuple):
    """ED and ES phase indices of a cine found by the segmenter, and the orientation (0-7) it read the cine in
    (:mod:`cardio_monai.segmentation.orientation`), for reading its ED/ES frames again without choosing anew."""

    ed: int
    es: int
    orientation: int


@torch.no_grad()
def lv_volume_curve(
    network: torch.nn.Module,
    frames: np.ndarray,
    pixel_spacing: Sequence[float],
    slice_spacing_mm: float,
    pixel_mm: float = 1.5,
    window: int = 160,
) -> tuple[np.ndarray, int]:
    """LV cavity volume (ml) of every phase of a (T, Z, H, W) cine: (T,), and the orientation it was read in.
    The frames are prepared as the bundle's preprocessing prepares ED and ES (resampled to ``pixel_mm``,
    image-centred ``window``, [3, 97] % of the whole cine to [0, 1]); volumes by slice summation on that grid
    (enough to order the phases). The orientation is chosen on the ED frames, as for a study with named
    phases: those of the largest LV read as the cine lies (its first phase may be ES, where the choice
    is less sure: the shipped sample's first phase is ES), and the curve is read again if it turns."""
    x, spacing = ResampleInPlane(pixel_mm)(np.asarray(frames, dtype=np.float32), pixel_spacing)
    x = torch.as_tensor(np.asarray(QuantileNormalise()(CropOrPadCentred(window)(x)), dtype=np.float32))
    t, z = x.shape[:2]

    def curve_in(k: int) -> np.ndarray:
        labels = frame_labels(network, x, orientation=k).numpy()
        labels = labels.reshape(t, z, *labels.shape[-2:])
        volumes = lv_volume_ml(labels, (*spacing, float(slice_spacing_mm)), label_value=LABEL_LV)
        return np.asarray(volumes, dtype=np.float64)

    curve = curve_in(0)
    k = choose_orientation(network, x[int(np.argmax(curve))])
    return (curve_in(k) if k else curve), k


def segmented_ed_es(network: torch.nn.Module, frames: np.ndarray, *geometry, **grid) -> CinePhases:
    """ED, ES (largest and smallest segmented LV volume) and the orientation of a (T, Z, H, W) cine;
    ``geometry`` and ``grid`` are those of :func:`lv_volume_curve` (pixel spacing, slice spacing;
    ``pixel_mm``, ``window``).

    Raises:
        InputError: fewer than 2 phases, or no LV found in any phase.
    """
    if frames.shape[0] < 2:
        raise InputError(None, f"{frames.shape[0]} phase(s): ED and ES cannot be told apart")
    curve, k = lv_volume_curve(network, frames, *geometry, **grid)
    if not np.any(curve > 0):
        raise InputError(None, "the segmenter finds no LV in any phase, so ED and ES cannot be found")
    return CinePhases(int(np.argmax(curve)), int(np.argmin(curve)), k)
