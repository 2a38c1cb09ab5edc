"""NIfTI readers: a 4D cine (X, Y, Z, T) or a 3D frame / label map (X, Y, Z).

Array axes: NIfTI voxel (i, j, k) becomes (row, column, slice) of the record, so a frame is
stored as (Z, H, W) = (k, i, j) and the affine keeps nibabel's voxel -> RAS mm mapping.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from cardio_monai.constants import GZIP_MAX_RATIO, LABEL_VALUES, PIXEL_MM_RANGE, SLICE_MM_RANGE
from cardio_monai.errors import InputError
from cardio_monai.io.geometry import check_declared_size, check_spacing
from cardio_monai.io.record import StudyRecord

NIFTI_SUFFIXES = (".nii.gz", ".nii")


def is_nifti(path: str | Path) -> bool:
    return str(path).lower().endswith(NIFTI_SUFFIXES)


def nifti_stem(path: str | Path) -> str:
    """File name without ``.nii`` / ``.nii.gz``."""
    name = Path(path).name
    for suf in NIFTI_SUFFIXES:
        if name.lower().endswith(suf):
            return name[: -len(suf)]
    return name


def load_nifti(path: str | Path, ndim: tuple[int, ...] = (3, 4)) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    """Load a NIfTI file as (array in file order, affine (4, 4), zooms in mm).

    Raises:
        InputError: missing or unreadable file, wrong number of dimensions, NaN or inf values.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        img = nib.load(str(path))
        zooms = _raw_zooms(path, img)
        data = np.asanyarray(img.dataobj)
    except InputError:
        raise
    except Exception as exc:  # nibabel raises many types for truncated or foreign files
        raise InputError(path, f"not a readable NIfTI file ({type(exc).__name__})") from None
    if data.ndim == 5 and data.shape[3] == 1:  # (X, Y, Z, 1, T) as some converters write
        data = data[:, :, :, 0]
    if data.ndim == 4 and data.shape[3] == 1 and 3 in ndim:
        data = data[..., 0]
    if data.ndim not in ndim:
        raise InputError(path, f"expected a {' or '.join(f'{n}D' for n in ndim)} image, got shape {data.shape}")
    if np.issubdtype(data.dtype, np.floating) and not np.all(np.isfinite(data)):
        raise InputError(path, f"contains {int(np.size(data) - np.isfinite(data).sum())} NaN or infinite values")
    return data, _consistent_affine(np.asarray(img.affine, dtype=np.float64), zooms), zooms


def _raw_zooms(path: Path, img) -> tuple[float, float, float]:
    """The voxel sizes as the file states them, checked (finite, positive, plausible), and the declared
    array size checked against the file's length, before nibabel reads the array. nibabel's own header
    check silently turns a pixdim of 0 into 1, so the raw header is read again without it."""
    with nib.openers.ImageOpener(str(path)) as fh:
        raw = type(img.header).from_fileobj(fh, check=False)
    shape = raw.get_data_shape()
    if len(shape) < 3:
        raise InputError(path, f"expected a 3D or 4D image, got shape {shape}")
    declared = int(np.prod(shape, dtype=np.int64)) * raw.get_data_dtype().itemsize
    size = path.stat().st_size
    gz = path.name.lower().endswith(".gz")
    check_declared_size(path, declared, size * GZIP_MAX_RATIO if gz else size - int(raw.get_data_offset()))
    pixdim = [float(v) for v in raw["pixdim"][1:4]]
    check_spacing(path, "pixdim (in-plane)", pixdim[:2], PIXEL_MM_RANGE)
    check_spacing(path, "pixdim (between slices)", pixdim[2:], SLICE_MM_RANGE)
    return pixdim[0], pixdim[1], pixdim[2]


def _consistent_affine(affine: np.ndarray, zooms: tuple[float, ...]) -> np.ndarray:
    """The header's voxel sizes (pixdim) are authoritative: some files (ACDC) carry an affine with
    unit columns. Rescale each direction column to its zoom, keeping the direction."""
    out = affine.copy()
    norms = np.linalg.norm(out[:3, :3], axis=0)
    for k in range(3):
        if norms[k] < 1e-9:
            out[:3, k] = np.eye(3)[k] * zooms[k]
        elif not np.isclose(norms[k], zooms[k], rtol=1e-3):
            out[:3, k] *= zooms[k] / norms[k]
    return out


def to_slices_first(volume: np.ndarray) -> np.ndarray:
    """(X, Y, Z[, T]) in NIfTI order -> (Z, H, W) or (T, Z, H, W)."""
    if volume.ndim == 3:
        return np.moveaxis(volume, 2, 0)
    return np.transpose(volume, (3, 2, 0, 1))


def from_slices_first(volume: np.ndarray) -> np.ndarray:
    """(Z, H, W) -> (X, Y, Z) in NIfTI order (inverse of :func:`to_slices_first` for 3D)."""
    return np.moveaxis(volume, 0, 2)


def load_frame(path: str | Path) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    """One 3D frame as float32 (Z, H, W), its affine and zooms."""
    data, affine, zooms = load_nifti(path, ndim=(3,))
    return to_slices_first(data).astype(np.float32), affine, zooms


def load_label(path: str | Path, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A 3D label map as uint8 (Z, H, W), checked for values in {0, 1, 2, 3} and an expected shape."""
    data, _, _ = load_nifti(path, ndim=(3,))
    if np.issubdtype(data.dtype, np.floating) and not np.array_equal(data, np.round(data)):
        raise InputError(path, "label map holds non-integer values")
    bad = np.setdiff1d(np.unique(data), LABEL_VALUES)
    if bad.size:
        raise InputError(path, f"labels {bad.tolist()[:5]} outside {{0, 1, 2, 3}}")
    label = to_slices_first(data).astype(np.uint8)
    if shape is not None and label.shape != tuple(shape):
        raise InputError(path, f"label map of shape {label.shape} does not match the image {tuple(shape)} (Z, H, W)")
    return label


def read_nifti_cine(path: str | Path, subject: str | None = None) -> StudyRecord:
    """A 4D NIfTI cine (X, Y, Z, T) -> record with frames (T, Z, H, W); a 3D file gives T = 1."""
    data, affine, zooms = load_nifti(path, ndim=(3, 4))
    frames = to_slices_first(data).astype(np.float32)
    if frames.ndim == 3:
        frames = frames[None]
    if frames.shape[1] < 2:
        raise InputError(path, "a single slice; a short-axis stack needs at least 2 slices")
    return StudyRecord(
        subject=subject or nifti_stem(path),
        frames=frames,
        affine=affine,
        pixel_spacing=(zooms[0], zooms[1]),
        slice_spacing=zooms[2],
        source=str(path),
        meta={"space": "RAS"},
    )


def read_phase_frames(ed_path: str | Path, es_path: str | Path, subject: str, source: str | Path) -> StudyRecord:
    """ED and ES frames in two 3D NIfTI files -> record with T = 2 (ED = 0, ES = 1)."""
    ed_img, affine, zooms = load_frame(ed_path)
    es_img, _, _ = load_frame(es_path)
    if es_img.shape != ed_img.shape:
        raise InputError(es_path, f"shape {es_img.shape} differs from the ED frame {ed_img.shape}")
    if ed_img.shape[0] < 2:
        raise InputError(ed_path, "a single slice; a short-axis stack needs at least 2 slices")
    return StudyRecord(
        subject=subject,
        frames=np.stack([ed_img, es_img]),
        affine=affine,
        pixel_spacing=(zooms[0], zooms[1]),
        slice_spacing=zooms[2],
        ed=0,
        es=1,
        source=str(source),
        meta={"space": "RAS"},
    )
