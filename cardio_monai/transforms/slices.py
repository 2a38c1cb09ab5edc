"""Keep the slices between base and apex where label maps tell them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from monai.config import KeysCollection
from monai.transforms import MapTransform, Transform

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM


def labelled_slice_range(label: np.ndarray) -> tuple[int, int] | None:
    """[first, last] slice (inclusive) holding LV cavity or myocardium in any phase of (..., Z, H, W)."""
    lv = np.isin(label, (LABEL_LV, LABEL_MYOCARDIUM))
    present = lv.reshape(-1, *lv.shape[-3:]).any(axis=(0, 2, 3))
    idx = np.flatnonzero(present)
    if idx.size == 0:
        return None
    return int(idx[0]), int(idx[-1])


class KeepLabelledSlices(Transform):
    """Crop the slice axis of (C, Z, H, W) to ``z_range`` (inclusive); the whole stack when None."""

    def __call__(self, img: np.ndarray, z_range: tuple[int, int] | None) -> np.ndarray:
        if z_range is None:
            return img
        return img[:, z_range[0] : z_range[1] + 1]


class KeepLabelledSlicesd(MapTransform):
    """Dictionary twin: the range comes from ``data[label_key]`` (2, Z, H, W); keys and the label are
    cropped together and ``data["slice_range"]`` records it."""

    def __init__(self, keys: KeysCollection, label_key: str = "label", allow_missing_keys: bool = False):
        super().__init__(keys, allow_missing_keys)
        self.label_key = label_key
        self.keep = KeepLabelledSlices()

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        label = d.get(self.label_key)
        if label is None or isinstance(label, dict):
            return d
        z_range = labelled_slice_range(label)
        for key in {*self.key_iterator(d), self.label_key}:
            d[key] = self.keep(d[key], z_range)
        d["slice_range"] = z_range
        return d
