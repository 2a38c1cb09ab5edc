"""Real subjects prepared for synthesis (once per source): ED/ES label maps checked, cropped around the
heart, their structures' SDTs (:mod:`cardio_monai.synthesis.masks`) and the source's own volumes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cardio_monai.constants import LABEL_LV, LABEL_VALUES
from cardio_monai.errors import InputError
from cardio_monai.io import StudyRecord
from cardio_monai.synthesis.masks import enclosed_slices, signed_distance, structure_masks
from cardio_monai.volumes import cavity_volume_ml, ejection_fraction_pct

SYN_CROP_MARGIN_FRAC = 0.25  # written label maps: heart bounding box + this fraction of its size
SYN_CROP_MARGIN_PX = 4  # ... + this many pixels on every side (room for the 1.2 rescaling)


@dataclass
class SourceMasks:
    """One real subject prepared for synthesis: its ED/ES label maps cropped around the heart, the
    SDTs of each structure and geometry.

    Attributes:
        subject: source subject id.
        labels: {"ed": uint8 (Z, h, w), "es": ...} cropped label maps.
        sdt: {"ed": {"cav"|"epi"|"rv": float32 (Z, h, w)}, "es": ...}.
        enclosed: {"ed": (Z,) bool, "es": ...} slices with the cavity enclosed by myocardium.
        centre: (row, col) LV centre in the crop (pixels), the fixed point of rescaling.
        affine: (4, 4) of the crop (voxel (row, col, slice) -> mm).
        spacing: (row_mm, col_mm, slice_mm).
        edv_ml, esv_ml, ef_pct: the source's own volumes (same method and thickness as the cohort).
    """

    subject: str
    labels: dict[str, np.ndarray]
    sdt: dict[str, dict[str, np.ndarray]]
    enclosed: dict[str, np.ndarray]
    centre: tuple[float, float]
    affine: np.ndarray
    spacing: tuple[float, float, float]
    edv_ml: float = 0.0
    esv_ml: float = 0.0
    ef_pct: float = 0.0
    violations: dict[str, int] = field(default_factory=dict)


def crop_box(labels: list[np.ndarray]) -> tuple[slice, slice]:
    """In-plane (rows, cols) crop holding every labelled pixel of ``labels`` plus the margin."""
    fg = np.zeros(labels[0].shape[1:], dtype=bool)
    for lab in labels:
        fg |= (lab > 0).any(axis=0)
    rows, cols = np.nonzero(fg.any(axis=1))[0], np.nonzero(fg.any(axis=0))[0]
    out = []
    for idx, size in ((rows, fg.shape[0]), (cols, fg.shape[1])):
        lo, hi = int(idx[0]), int(idx[-1]) + 1
        pad = int(np.ceil(SYN_CROP_MARGIN_FRAC * (hi - lo))) + SYN_CROP_MARGIN_PX
        out.append(slice(max(lo - pad, 0), min(hi + pad, size)))
    return out[0], out[1]


def check_source(record: StudyRecord) -> None:
    """Raise :class:`InputError` unless the record has usable ED and ES label maps."""
    where = record.source or record.subject
    for name, phase in (("ED", record.ed), ("ES", record.es)):
        if phase is None or phase not in record.labels:
            raise InputError(where, f"subject {record.subject}: no {name} label map; synthesis needs ED and ES labels")
        lab = np.asarray(record.labels[phase])
        bad = np.setdiff1d(np.unique(lab), LABEL_VALUES)
        if bad.size:
            raise InputError(
                where, f"subject {record.subject}: {name} labels {bad.tolist()[:5]} outside {{0, 1, 2, 3}}"
            )
        if not (lab == LABEL_LV).any():
            raise InputError(where, f"subject {record.subject}: empty LV cavity (label 3) in the {name} label map")
    if record.labels[record.ed].shape != record.labels[record.es].shape:
        raise InputError(where, f"subject {record.subject}: ED and ES label maps differ in shape")


def prepare_source(record: StudyRecord, thickness_mm: float | None = None) -> SourceMasks:
    """Crop the ED/ES label maps around the heart and compute their SDTs (once per source)."""
    check_source(record)
    full = {"ed": np.asarray(record.labels[record.ed]), "es": np.asarray(record.labels[record.es])}
    rs, cs = crop_box(list(full.values()))
    labels = {k: np.ascontiguousarray(v[:, rs, cs]).astype(np.uint8) for k, v in full.items()}
    affine = np.array(record.affine, dtype=np.float64)
    affine[:3, 3] = affine[:3, :3] @ np.array([rs.start, cs.start, 0.0]) + affine[:3, 3]
    sdt = {k: {s: signed_distance(m) for s, m in structure_masks(v).items()} for k, v in labels.items()}
    cav = (labels["ed"] == LABEL_LV) | (labels["es"] == LABEL_LV)
    rr, cc = np.nonzero(cav.any(axis=0))
    spacing = record.voxel_spacing
    src = SourceMasks(
        subject=record.subject,
        labels=labels,
        sdt=sdt,
        enclosed={k: enclosed_slices(v) for k, v in labels.items()},
        centre=(float(rr.mean()), float(cc.mean())),
        affine=affine,
        spacing=spacing,
    )
    src.edv_ml = cavity_volume_ml(labels["ed"] == LABEL_LV, spacing, thickness_mm)
    src.esv_ml = cavity_volume_ml(labels["es"] == LABEL_LV, spacing, thickness_mm)
    src.ef_pct = ejection_fraction_pct(src.edv_ml, src.esv_ml)
    return src
