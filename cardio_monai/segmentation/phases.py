"""ED and ES of a cine from the segmentation reader: the phases of largest and smallest LV cavity
volume (the definition, measured), for inputs that do not name them (a DICOM cine, a 4D NIfTI).

Compared on studies with reference phases with the intensity heuristic of
:func:`cardio_monai.transforms.estimate_ed_es` in ``bundles/cardiac_lv_segmentation/docs/README.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from cardio_monai.constants import LABEL_LV
from cardio_monai.errors import InputError
from cardio_monai.segmentation.reader import frame_probabilities
from cardio_monai.transforms import CropOrPadCentred, QuantileNormalise, ResampleInPlane
from cardio_monai.volumes import lv_volume_ml


@torch.no_grad()
def lv_volume_curve(
    network: torch.nn.Module,
    frames: np.ndarray,
    pixel_spacing: Sequence[float],
    slice_spacing_mm: float,
    pixel_mm: float = 1.5,
    window: int = 160,
) -> np.ndarray:
    """LV cavity volume (ml) of every phase of a (T, Z, H, W) cine: (T,). The frames are prepared as the
    bundle's preprocessing prepares ED and ES (resampled to ``pixel_mm``, image-centred ``window``, [3, 97] %
    of the whole cine to [0, 1]); volumes by slice summation on that grid (enough to order the phases)."""
    x, spacing = ResampleInPlane(pixel_mm)(np.asarray(frames, dtype=np.float32), pixel_spacing)
    x = np.asarray(QuantileNormalise()(CropOrPadCentred(window)(x)), dtype=np.float32)
    t, z = x.shape[:2]
    labels = frame_probabilities(network, torch.as_tensor(x)).argmax(1).to(torch.uint8).numpy()
    labels = labels.reshape(t, z, *labels.shape[-2:])
    return np.asarray(lv_volume_ml(labels, (*spacing, float(slice_spacing_mm)), label_value=LABEL_LV), dtype=np.float64)


def segmented_ed_es(network: torch.nn.Module, frames: np.ndarray, *geometry, **grid) -> tuple[int, int]:
    """(ED, ES) phase indices of a (T, Z, H, W) cine: largest and smallest segmented LV volume; ``geometry``
    and ``grid`` are those of :func:`lv_volume_curve` (pixel spacing, slice spacing; ``pixel_mm``, ``window``).

    Raises:
        InputError: fewer than 2 phases, or no LV found in any phase.
    """
    if frames.shape[0] < 2:
        raise InputError(None, f"{frames.shape[0]} phase(s): ED and ES cannot be told apart")
    curve = lv_volume_curve(network, frames, *geometry, **grid)
    if not np.any(curve > 0):
        raise InputError(None, "the segmenter finds no LV in any phase, so ED and ES cannot be found")
    return int(np.argmax(curve)), int(np.argmin(curve))
