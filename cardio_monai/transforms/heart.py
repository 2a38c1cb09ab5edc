"""Finding the heart for the crop: from the images alone (the motion between ED and ES), or from the
LV label where labels exist (training the generator). Pixels are at the resampled size."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from monai.config import KeysCollection
from monai.transforms import MapTransform
from scipy import ndimage

from cardio_monai.constants import HEART_PRIOR_SIGMA_PX, LABEL_LV, MOTION_SMOOTH_PX
from cardio_monai.keys import CROP_CENTRE, LABEL


def label_centre(label: np.ndarray, label_value: int = LABEL_LV) -> tuple[float, float] | None:
    """Centroid (row, col) of ``label_value`` over all leading axes of (..., H, W); None if absent."""
    mask = np.asarray(label) == label_value
    if not mask.any():
        return None
    rows, cols = np.nonzero(mask.reshape(-1, *mask.shape[-2:]).any(axis=0))
    return float(rows.mean()), float(cols.mean())


def heart_peak(
    score: np.ndarray, smooth_px: float, prior_sigma_px: float = HEART_PRIOR_SIGMA_PX, pixel_mm: float = 1.0
) -> tuple[int, int]:
    """Where the heart is on a (H, W) map that is high where the heart moves: the peak (row, col) of the
    map smoothed by a Gaussian of ``smooth_px`` pixels, times a broad Gaussian prior around the image
    centre (``prior_sigma_px`` pixels at 1 mm, on a grid of ``pixel_mm`` pixels), which keeps it off
    moving structures at the edge of a large field of view (bowel, breathing artefacts)."""
    smooth = ndimage.gaussian_filter(score, smooth_px)
    h, w = smooth.shape
    rows = np.arange(h, dtype=np.float32)[:, None] - (h - 1) / 2.0
    cols = np.arange(w, dtype=np.float32)[None, :] - (w - 1) / 2.0
    prior = np.exp(-(rows**2 + cols**2) * pixel_mm**2 / (2.0 * prior_sigma_px**2))
    r, c = np.unravel_index(int(np.argmax(smooth * prior)), smooth.shape)
    return r, c


def motion_centre(
    image: np.ndarray, sigma_px: float = MOTION_SMOOTH_PX, prior_sigma_px: float = HEART_PRIOR_SIGMA_PX
) -> tuple[float, float]:
    """Centre of the heart found from the images alone (no labels): the :func:`heart_peak` of the ED-ES
    absolute difference averaged over slices, which peaks where the ventricles move.

    Args:
        image: (2, Z, H, W) ED and ES stacks, any intensity scale, square pixels.
        sigma_px: Gaussian smoothing of the difference map (pixels).
        prior_sigma_px: width of the prior around the image centre (pixels).

    Returns:
        (row, col) in pixels.
    """
    diff = np.abs(image[0].astype(np.float32) - image[1].astype(np.float32)).mean(axis=0)
    r, c = heart_peak(diff, sigma_px, prior_sigma_px)
    return float(r), float(c)


class FindCropCentred(MapTransform):
    """Store a crop centre (row, col) in ``data[centre_key]``.

    ``method``: ``"image"`` (image centre, the paper's), ``"motion"`` (:func:`motion_centre`, from
    the images alone, as inference may use) or ``"label"`` (LV centroid of ``label_key``; image
    centre when the label has no LV).
    """

    def __init__(
        self,
        keys: KeysCollection,
        method: str = "image",
        label_key: str = LABEL,
        centre_key: str = CROP_CENTRE,
        allow_missing_keys: bool = False,
    ):
        super().__init__(keys, allow_missing_keys)
        if method not in ("image", "motion", "label"):
            raise ValueError(f"unknown crop centre method {method!r}")
        self.method, self.label_key, self.centre_key = method, label_key, centre_key

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        key = self.first_key(d)
        image = d[key]
        centre = None
        if self.method == "label" and d.get(self.label_key) is not None:
            centre = label_centre(d[self.label_key])
        elif self.method == "motion":
            centre = motion_centre(image)
        if centre is None:
            h, w = image.shape[-2:]
            centre = ((h - 1) / 2.0, (w - 1) / 2.0)
        d[self.centre_key] = centre
        return d
