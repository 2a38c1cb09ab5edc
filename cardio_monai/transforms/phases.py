"""Select the ED and ES phases of a cine: (T, Z, H, W) -> (2, Z, H, W)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from monai.config import KeysCollection
from monai.transforms import MapTransform, Transform

from cardio_monai.constants import HEART_DISC_RADIUS_MM, HEART_PRIOR_SIGMA_PX, MOTION_SMOOTH_PX
from cardio_monai.errors import InputError
from cardio_monai.keys import ED, ES, SOURCE
from cardio_monai.transforms.heart import heart_peak


class SelectPhases(Transform):
    """Stack frames ``ed`` and ``es`` of a (T, Z, H, W) cine as channels: (2, Z, H, W)."""

    def __call__(self, frames: np.ndarray, ed: int, es: int) -> np.ndarray:
        n = frames.shape[0]
        for name, idx in (("ED", ed), ("ES", es)):
            if idx is None:
                raise InputError(None, f"{name} phase unknown; name it (Info.cfg, manifest ED/ES columns)")
            if not 0 <= int(idx) < n:
                raise InputError(None, f"{name} phase {idx} outside the {n} phases of the cine")
        return np.stack([frames[int(ed)], frames[int(es)]])


class SelectPhasesd(MapTransform):
    """Dictionary twin of :class:`SelectPhases`.

    ``keys`` hold (T, Z, H, W) cines; ``label_keys`` hold ``{phase: (Z, H, W)}`` label dicts, which
    become (2, Z, H, W) arrays (a phase without labels raises). ED/ES come from ``ed_key``/``es_key``.
    """

    def __init__(
        self,
        keys: KeysCollection,
        label_keys: Sequence[Hashable] = (),
        ed_key: str = ED,
        es_key: str = ES,
        allow_missing_keys: bool = False,
    ):
        super().__init__(keys, allow_missing_keys)
        self.label_keys = tuple(label_keys)
        self.ed_key, self.es_key = ed_key, es_key
        self.select = SelectPhases()

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        ed, es = d.get(self.ed_key), d.get(self.es_key)
        for key in self.key_iterator(d):
            d[key] = self.select(d[key], ed, es)
        for key in self.label_keys:
            labels = d.get(key)
            if not labels:
                continue
            missing = [name for name, p in (("ED", ed), ("ES", es)) if p not in labels]
            if missing:
                raise InputError(d.get(SOURCE), f"no {' and '.join(missing)} label map")
            d[key] = np.stack([labels[ed], labels[es]])
        d[self.ed_key], d[self.es_key] = 0, 1
        return d


def estimate_ed_es(frames: np.ndarray, pixel_mm: float, radius_mm: float = HEART_DISC_RADIUS_MM) -> tuple[int, int]:
    """ED and ES phase indices of a (T, Z, H, W) bright-blood cine from the images alone.

    The heart is found where the images move (temporal SD, smoothed, with a broad prior around the
    image centre: :func:`cardio_monai.transforms.heart.heart_peak`); in a
    disc of ``radius_mm`` around it the mean intensity is highest when the ventricles hold the most
    blood (ED) and lowest when they hold the least (ES).

    Raises:
        InputError: fewer than 2 phases.
    """
    if frames.shape[0] < 2:
        raise InputError(None, f"{frames.shape[0]} phase(s): ED and ES cannot be told apart")
    f = np.asarray(frames, dtype=np.float32)
    motion = f.std(axis=0).mean(axis=0)
    r, c = heart_peak(motion, MOTION_SMOOTH_PX / pixel_mm, HEART_PRIOR_SIGMA_PX, pixel_mm)
    h, w = motion.shape
    rows = np.arange(h, dtype=np.float32)[:, None] - (h - 1) / 2.0
    cols = np.arange(w, dtype=np.float32)[None, :] - (w - 1) / 2.0
    disc = (rows + (h - 1) / 2.0 - r) ** 2 + (cols + (w - 1) / 2.0 - c) ** 2 <= (radius_mm / pixel_mm) ** 2
    signal = f[:, :, disc].mean(axis=(1, 2))
    return int(np.argmax(signal)), int(np.argmin(signal))
