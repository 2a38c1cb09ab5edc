"""Writers for NIfTI frames and label maps (the inverse of the readers' axis convention)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from cardio_monai.io.nifti import from_slices_first
from cardio_monai.io.record import StudyRecord
from cardio_monai.utils.files import atomic_path


def write_nifti(path: str | Path, volume: np.ndarray, affine: np.ndarray) -> Path:
    """Write a (Z, H, W) frame or label map as NIfTI (X, Y, Z) with ``affine``, atomically.

    The header's voxel sizes are the affine's column norms, so readers get the spacing back.
    """
    path = Path(path)
    img = nib.Nifti1Image(from_slices_first(np.asarray(volume)), np.asarray(affine, dtype=np.float64))
    img.header.set_zooms(tuple(float(z) for z in np.linalg.norm(np.asarray(affine)[:3, :3], axis=0)))
    img.set_qform(img.affine, code=1)
    img.set_sform(img.affine, code=1)
    with atomic_path(path) as tmp:
        nib.save(img, str(tmp))
    return path


def write_acdc_patient(record: StudyRecord, folder: str | Path) -> Path:
    """Write a record with ED/ES labels in the ACDC layout: ``Info.cfg``, the ED and ES frames and
    their ``_gt`` label maps (frame numbers counted from 1). The folder name is the subject."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = folder.name
    ed, es = int(record.ed), int(record.es)
    for phase in (ed, es):
        write_nifti(
            folder / f"{name}_frame{phase + 1:02d}.nii.gz", record.frames[phase].astype(np.float32), record.affine
        )
        if phase in record.labels:
            write_nifti(
                folder / f"{name}_frame{phase + 1:02d}_gt.nii.gz", record.labels[phase].astype(np.uint8), record.affine
            )
    (folder / "Info.cfg").write_text(f"ED: {ed + 1}\nES: {es + 1}\nGroup: PHANTOM\nNbFrame: {record.n_phases}\n")
    return folder
