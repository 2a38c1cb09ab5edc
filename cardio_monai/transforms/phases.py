"""Select the ED and ES phases of a cine: (T, Z, H, W) -> (2, Z, H, W)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from monai.config import KeysCollection
from monai.transforms import MapTransform, Transform

from cardio_monai.io.errors import InputError


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
        ed_key: str = "ed",
        es_key: str = "es",
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
                raise InputError(d.get("source"), f"no {' and '.join(missing)} label map")
            d[key] = np.stack([labels[ed], labels[es]])
        d[self.ed_key], d[self.es_key] = 0, 1
        return d
