"""`StudyRecord`: one cine study in memory, the output of every reader."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class StudyRecord:
    """One cine short-axis study.

    Attributes:
        subject: subject id (see docs: ACDC folder name, Sunnybrook ``original_id``, file/folder name).
        frames: float32 array (T, Z, H, W): T phases (may be 2: ED and ES), Z slices base -> apex.
        affine: (4, 4) voxel (i, j, k) = (row, column, slice) -> patient mm; k along the slice normal.
        pixel_spacing: (row_mm, col_mm), the distance between rows and between columns.
        slice_spacing: mm between adjacent slice centres (from positions, never SliceLocation).
        ed, es: phase indices into T, or None when unknown.
        labels: {phase index: uint8 (Z, H, W)} with 0 bg, 1 RV, 2 myocardium, 3 LV cavity.
        source: path the study came from.
        edv_ml, esv_ml: reference volumes when the input gives them without masks (manifest).
    """

    subject: str
    frames: np.ndarray
    affine: np.ndarray
    pixel_spacing: tuple[float, float]
    slice_spacing: float
    ed: int | None = None
    es: int | None = None
    labels: dict[int, np.ndarray] = field(default_factory=dict)
    source: str = ""
    edv_ml: float | None = None
    esv_ml: float | None = None
    meta: dict = field(default_factory=dict)

    @property
    def n_phases(self) -> int:
        return int(self.frames.shape[0])

    @property
    def n_slices(self) -> int:
        return int(self.frames.shape[1])

    @property
    def voxel_spacing(self) -> tuple[float, float, float]:
        """(row_mm, col_mm, slice_mm)."""
        return (float(self.pixel_spacing[0]), float(self.pixel_spacing[1]), float(self.slice_spacing))
