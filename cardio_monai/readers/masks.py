"""``predict --save_masks DIR``: the segmenter's ED and ES label maps as NIfTI in the input's geometry
(``<subject>_ED_seg.nii.gz``, ``<subject>_ES_seg.nii.gz``; 0 bg, 1 RV, 2 myocardium, 3 LV cavity) and one
contour sheet per study (``<subject>_contours.png``), every file written atomically inside DIR."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cardio_monai.errors import InputError
from cardio_monai.evaluation.contours import contour_sheet_png
from cardio_monai.io import StudyRecord, check_output, safe_name
from cardio_monai.io.writers import write_nifti
from cardio_monai.utils import atomic_path


def check_mask_dir(folder: str | Path, *inputs: str | Path) -> Path:
    """Make sure ``folder`` can take the masks before any work: outside the inputs, a folder (made if
    missing) that can be written. Raises :class:`InputError` naming it otherwise."""
    folder = Path(folder)
    check_output(folder, *inputs, file=False)
    if folder.exists() and not folder.is_dir():
        raise InputError(folder, "exists and is not a folder; --save_masks needs a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(folder, f"cannot be created ({err.strerror or type(err).__name__})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(folder, "cannot be written (permission denied)")
    return folder


def save_study_masks(folder: str | Path, record: StudyRecord, labels: np.ndarray) -> list[Path]:
    """Write one study's (2, Z, H, W) ED/ES label maps and contour sheet into ``folder``; returns the paths."""
    folder = Path(folder)
    name = safe_name(record.subject)
    paths = [
        write_nifti(folder / f"{name}_{phase}_seg.nii.gz", labels[k].astype(np.uint8), record.affine)
        for k, phase in enumerate(("ED", "ES"))
    ]
    frames = np.stack([record.frames[int(record.ed)], record.frames[int(record.es)]])
    png = contour_sheet_png(
        frames, labels, title=f"{record.subject}: segmentation reader (LV red, myocardium green, RV blue)"
    )
    with atomic_path(folder / f"{name}_contours.png") as tmp:
        tmp.write_bytes(png)
    return [*paths, folder / f"{name}_contours.png"]
