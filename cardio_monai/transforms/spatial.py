"""In-plane resampling and crop/pad of slice stacks (C, Z, H, W); the slice axis is never touched.
Where to crop (the heart) is found by :mod:`cardio_monai.transforms.heart`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from monai.config import KeysCollection
from monai.transforms import MapTransform, Transform

from cardio_monai.constants import CROP_SIZE_PX, TARGET_PIXEL_MM
from cardio_monai.keys import CROP_CENTRE, PIXEL_SPACING


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
        pixel_spacing_key: str = PIXEL_SPACING,
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
        centre_key: Hashable | None = CROP_CENTRE,
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


class RecordShaped(MapTransform):
    """Store the in-plane shape (H, W) of ``keys``' first array in ``shape_key`` (and, with ``spacing_key``,
    a copy of ``pixel_spacing_key`` there), so that a later step can map outputs back to this grid."""

    def __init__(
        self,
        keys: KeysCollection,
        shape_key: str,
        spacing_key: str | None = None,
        pixel_spacing_key: str = PIXEL_SPACING,
    ):
        super().__init__(keys)
        self.shape_key, self.spacing_key, self.pixel_spacing_key = shape_key, spacing_key, pixel_spacing_key

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        d[self.shape_key] = tuple(int(n) for n in d[self.first_key(d)].shape[-2:])
        if self.spacing_key is not None:
            d[self.spacing_key] = tuple(float(s) for s in d[self.pixel_spacing_key])
        return d


def restore_in_plane(
    probs: torch.Tensor,
    centre: Sequence[float],
    resampled_shape: Sequence[int],
    original_shape: Sequence[int],
    fill_channel: int = 0,
) -> torch.Tensor:
    """The inverse of crop-after-resampling for class probabilities: (N, C, S, S) crops -> (N, C, H, W)
    on the input's pixel grid. The crop is pasted into the resampled (h, w) grid at ``centre`` (outside
    it: probability 1 for ``fill_channel``, the background), then resized bilinearly to ``original_shape``."""
    n, c, size, _ = probs.shape
    canvas = probs.new_zeros((n, c, *resampled_shape))
    canvas[:, fill_channel] = 1.0
    overlap = CropOrPadCentred(size).window(tuple(resampled_shape), centre)
    if overlap is not None:
        src, dst = overlap
        canvas[(..., *src)] = probs[(..., *dst)]
    if tuple(resampled_shape) == tuple(original_shape):
        return canvas
    return F.interpolate(canvas, size=tuple(int(s) for s in original_shape), mode="bilinear", align_corners=False)
