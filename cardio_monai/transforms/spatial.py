"""In-plane resampling and crop/pad of slice stacks (C, Z, H, W); the slice axis is never touched."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from monai.config import KeysCollection
from monai.transforms import MapTransform, Transform
from scipy import ndimage

from cardio_monai.constants import (
    CROP_SIZE_PX,
    HEART_PRIOR_SIGMA_PX,
    LABEL_LV,
    MOTION_SMOOTH_PX,
    TARGET_PIXEL_MM,
)


class ResampleInPlane(Transform):
    """Resample (C, Z, H, W) to ``pixel_mm`` x ``pixel_mm`` pixels, keeping the slices.

    Images use antialiased bilinear interpolation (the input pixels range 0.6-2 mm), label maps
    nearest neighbour. Returns the array and the new (row_mm, col_mm).
    """

    def __init__(self, pixel_mm: float = TARGET_PIXEL_MM, mode: str = "bilinear"):
        if mode not in ("bilinear", "nearest"):
            raise ValueError(f"mode must be 'bilinear' or 'nearest', got {mode!r}")
        self.pixel_mm = float(pixel_mm)
        self.mode = mode

    def output_shape(self, shape: Sequence[int], pixel_spacing: Sequence[float]) -> tuple[int, int]:
        return (
            max(1, round(shape[-2] * float(pixel_spacing[0]) / self.pixel_mm)),
            max(1, round(shape[-1] * float(pixel_spacing[1]) / self.pixel_mm)),
        )

    def __call__(self, img: np.ndarray, pixel_spacing: Sequence[float]) -> tuple[np.ndarray, tuple[float, float]]:
        h, w = self.output_shape(img.shape, pixel_spacing)
        out_spacing = (img.shape[-2] * float(pixel_spacing[0]) / h, img.shape[-1] * float(pixel_spacing[1]) / w)
        if (h, w) == tuple(img.shape[-2:]):
            return img, out_spacing
        lead = img.shape[:-2]
        x = torch.as_tensor(np.ascontiguousarray(img)).reshape(1, -1, *img.shape[-2:])
        if self.mode == "nearest":
            y = F.interpolate(x.float(), size=(h, w), mode="nearest-exact").to(x.dtype)
        else:
            y = F.interpolate(x.float(), size=(h, w), mode="bilinear", align_corners=False, antialias=True)
        return y.reshape(*lead, h, w).numpy(), out_spacing


class ResampleInPlaned(MapTransform):
    """Dictionary twin of :class:`ResampleInPlane`; ``pixel_spacing_key`` is read and updated."""

    def __init__(
        self,
        keys: KeysCollection,
        pixel_mm: float = TARGET_PIXEL_MM,
        mode: str | Sequence[str] = "bilinear",
        pixel_spacing_key: str = "pixel_spacing",
        allow_missing_keys: bool = False,
    ):
        super().__init__(keys, allow_missing_keys)
        modes = [mode] * len(self.keys) if isinstance(mode, str) else list(mode)
        self.resamplers = {k: ResampleInPlane(pixel_mm, m) for k, m in zip(self.keys, modes)}
        self.pixel_spacing_key = pixel_spacing_key

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        spacing = d[self.pixel_spacing_key]
        new = spacing
        for key in self.key_iterator(d):
            d[key], new = self.resamplers[key](d[key], spacing)
        d[self.pixel_spacing_key] = new
        return d


class CropOrPadCentred(Transform):
    """Crop or zero-pad the last two axes to ``size`` x ``size`` around a centre (row, col).

    The default centre is the image centre (the paper's crop). Works on any (..., H, W) array.
    """

    def __init__(self, size: int = CROP_SIZE_PX, pad_value: float = 0.0):
        self.size = int(size)
        self.pad_value = pad_value

    def window(
        self, shape: Sequence[int], centre: Sequence[float]
    ) -> tuple[tuple[slice, ...], tuple[slice, ...]] | None:
        """(image slices, crop slices) of the overlap between an image of (H, W) ``shape`` and the crop
        window around ``centre``; None when they do not overlap. :meth:`__call__` copies image -> crop;
        pasting a crop back into an image grid is the reverse copy."""
        starts = [int(np.floor(float(c) - (self.size - 1) / 2.0 + 0.5)) for c in centre]
        src, dst = [], []
        for start, n in zip(starts, shape):
            lo, hi = max(start, 0), min(start + self.size, n)
            if hi <= lo:  # centre far outside the image: nothing to copy
                return None
            src.append(slice(lo, hi))
            dst.append(slice(lo - start, hi - start))
        return tuple(src), tuple(dst)

    def __call__(self, img: np.ndarray, centre: Sequence[float] | None = None) -> np.ndarray:
        h, w = img.shape[-2:]
        if centre is None:
            centre = ((h - 1) / 2.0, (w - 1) / 2.0)
        out = np.full((*img.shape[:-2], self.size, self.size), self.pad_value, dtype=img.dtype)
        overlap = self.window((h, w), centre)
        if overlap is not None:
            src, dst = overlap
            out[(..., *dst)] = img[(..., *src)]
        return out


class CropOrPadCentredd(MapTransform):
    """Dictionary twin of :class:`CropOrPadCentred`; the centre is ``data[centre_key]`` when given."""

    def __init__(
        self,
        keys: KeysCollection,
        size: int = CROP_SIZE_PX,
        centre_key: Hashable | None = "crop_centre",
        allow_missing_keys: bool = False,
    ):
        super().__init__(keys, allow_missing_keys)
        self.crop = CropOrPadCentred(size)
        self.centre_key = centre_key

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        centre = d.get(self.centre_key) if self.centre_key is not None else None
        for key in self.key_iterator(d):
            d[key] = self.crop(d[key], centre)
        return d


def label_centre(label: np.ndarray, label_value: int = LABEL_LV) -> tuple[float, float] | None:
    """Centroid (row, col) of ``label_value`` over all leading axes of (..., H, W); None if absent."""
    mask = np.asarray(label) == label_value
    if not mask.any():
        return None
    rows, cols = np.nonzero(mask.reshape(-1, *mask.shape[-2:]).any(axis=0))
    return float(rows.mean()), float(cols.mean())


def motion_centre(
    image: np.ndarray, sigma_px: float = MOTION_SMOOTH_PX, prior_sigma_px: float = HEART_PRIOR_SIGMA_PX
) -> tuple[float, float]:
    """Centre of the heart found from the images alone (no labels).

    The ED-ES absolute difference, averaged over slices and smoothed, peaks where the ventricles
    move; a broad Gaussian prior around the image centre keeps it off moving structures at the
    edge of a large field of view (bowel, breathing artefacts).

    Args:
        image: (2, Z, H, W) ED and ES stacks, any intensity scale, square pixels.
        sigma_px: Gaussian smoothing of the difference map (pixels).
        prior_sigma_px: width of the prior around the image centre (pixels).

    Returns:
        (row, col) in pixels.
    """
    diff = np.abs(image[0].astype(np.float32) - image[1].astype(np.float32)).mean(axis=0)
    smooth = ndimage.gaussian_filter(diff, sigma_px)
    h, w = smooth.shape
    rows = np.arange(h, dtype=np.float32)[:, None] - (h - 1) / 2.0
    cols = np.arange(w, dtype=np.float32)[None, :] - (w - 1) / 2.0
    prior = np.exp(-(rows**2 + cols**2) / (2.0 * prior_sigma_px**2))
    r, c = np.unravel_index(int(np.argmax(smooth * prior)), smooth.shape)
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
        label_key: str = "label",
        centre_key: str = "crop_centre",
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
