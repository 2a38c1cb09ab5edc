"""Synthetic label maps from one real subject's ED/ES label maps (Gheorghita et al. 2022, step 1).

Every structure is carried as a signed distance transform (SDT, pixels, negative inside) of its
*filled* region, computed once per source slice and reused by every variant:

- ``cav``: LV cavity (label 3);
- ``epi``: LV cavity + myocardium (labels 2, 3), the epicardial region;
- ``rv``: RV cavity (label 1).

Operations act on SDTs, then :func:`to_labels` rasterises them (SDT < 0) and makes the result
anatomically plausible. Arrays are slices first: (Z, H, W), as in ``StudyRecord.labels``.
"""

from __future__ import annotations

import numpy as np
from monai.transforms.utils import distance_transform_edt
from scipy import ndimage

from cardio_monai.constants import (
    LABEL_BACKGROUND,
    LABEL_LV,
    LABEL_MYOCARDIUM,
    LABEL_RV,
)

STRUCTURES = ("cav", "epi", "rv")
# in-plane connectivity only: components and holes never span slices
_PLANAR = np.zeros((3, 3, 3), dtype=bool)
_PLANAR[1] = ndimage.generate_binary_structure(2, 1)


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """Per-slice 2D signed distance (pixels) of a boolean (Z, H, W) mask: negative inside, positive
    outside, never 0, so that ``sdt < 0`` gives the mask back exactly. A slice without the structure
    gets ``H + W`` everywhere (far outside)."""
    mask = np.asarray(mask, dtype=bool)
    # MONAI treats the first axis as channels: one 2D transform per slice (cuCIM for CUDA tensors)
    inside = np.asarray(distance_transform_edt(mask.astype(np.uint8)), dtype=np.float32)
    outside = np.asarray(distance_transform_edt((~mask).astype(np.uint8)), dtype=np.float32)
    sdt = outside - inside
    empty = ~mask.any(axis=(1, 2))
    sdt[empty] = float(mask.shape[1] + mask.shape[2])
    return sdt


def structure_masks(label: np.ndarray) -> dict[str, np.ndarray]:
    """The filled regions of :data:`STRUCTURES` from a label map."""
    return {"cav": label == LABEL_LV, "epi": (label == LABEL_LV) | (label == LABEL_MYOCARDIUM), "rv": label == LABEL_RV}


def enclosed_slices(label: np.ndarray) -> np.ndarray:
    """(Z,) bool: slices whose LV cavity is surrounded by myocardium (the cavity grown by one pixel
    stays inside cavity + myocardium)."""
    cav = label == LABEL_LV
    grown = ndimage.binary_dilation(cav, structure=_PLANAR)
    outside = grown & ~((label == LABEL_LV) | (label == LABEL_MYOCARDIUM))
    return cav.any(axis=(1, 2)) & ~outside.any(axis=(1, 2))


# --- operations on SDTs ---------------------------------------------------------------------------


def interpolate(sdt_ed: np.ndarray, sdt_es: np.ndarray, alpha: float, steps: int) -> np.ndarray:
    """Convex blend of two SDTs: ``(1 - alpha/F) SDT_ED + (alpha/F) SDT_ES`` (alpha in (0, F))."""
    w = float(alpha) / float(steps)
    return ((1.0 - w) * sdt_ed + w * sdt_es).astype(np.float32)


def _axis_weights(n: int, centre: float, gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear interpolation along one axis of length ``n`` sampling old(c + (x - c) / gamma)."""
    x = centre + (np.arange(n, dtype=np.float64) - centre) / gamma
    x = np.clip(x, 0.0, n - 1.0)  # edge values extend outwards (mode "nearest")
    i0 = np.minimum(np.floor(x).astype(np.intp), n - 2) if n > 1 else np.zeros(n, np.intp)
    w = (x - i0).astype(np.float32)
    return i0, np.minimum(i0 + 1, n - 1), w


def rescale(sdt: np.ndarray, gamma: float, centre: tuple[float, float]) -> np.ndarray:
    """Scale the shape in-plane by ``gamma`` about ``centre`` (row, col), every slice alike:
    new(x) = gamma * old(c + (x - c) / gamma) (distances scale with the shape). Bilinear, done as
    two separable 1D interpolations (rows, then columns)."""
    g = float(gamma)
    r0, r1, wr = _axis_weights(sdt.shape[1], centre[0], g)
    c0, c1, wc = _axis_weights(sdt.shape[2], centre[1], g)
    rows = sdt[:, r0, :] * (1.0 - wr)[:, None] + sdt[:, r1, :] * wr[:, None]
    out = rows[:, :, c0] * (1.0 - wc) + rows[:, :, c1] * wc
    return (g * out).astype(np.float32, copy=False)


# --- plausibility ---------------------------------------------------------------------------------


def _bbox(mask: np.ndarray) -> tuple[slice, slice] | None:
    """In-plane box around a (Z, H, W) mask grown by one pixel (clipped), or None when empty."""
    rows, cols = np.nonzero(mask.any(axis=(0, 2)))[0], np.nonzero(mask.any(axis=(0, 1)))[0]
    if rows.size == 0:
        return None
    return (
        slice(max(rows[0] - 1, 0), min(rows[-1] + 2, mask.shape[1])),
        slice(max(cols[0] - 1, 0), min(cols[-1] + 2, mask.shape[2])),
    )


def _in_box(fn):
    """Run a per-slice mask fix on the mask's bounding box only (the fixes never reach outside)."""

    def wrapper(mask: np.ndarray) -> tuple[np.ndarray, int]:
        box = _bbox(mask)
        if box is None:
            return mask, 0
        part, changed = fn(mask[:, box[0], box[1]])
        if not changed:
            return mask, 0
        out = mask.copy()
        out[:, box[0], box[1]] = part
        return out, changed

    wrapper.__doc__ = fn.__doc__
    return wrapper


@_in_box
def _largest_per_slice(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Keep the largest in-plane component of every slice; returns (mask, slices changed)."""
    lab, n = ndimage.label(mask, structure=_PLANAR)
    if n == 0:
        return mask, 0
    zz = np.broadcast_to(np.arange(mask.shape[0])[:, None, None], mask.shape)
    z_of = np.zeros(n + 1, dtype=np.int64)
    z_of[lab[mask]] = zz[mask]
    per_slice = np.bincount(z_of[1:], minlength=mask.shape[0])
    if (per_slice <= 1).all():
        return mask, 0
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    order = np.lexsort((-sizes[1:], z_of[1:]))  # by slice, then largest first
    zs = z_of[1:][order]
    first = np.ones(n, dtype=bool)
    first[1:] = zs[1:] != zs[:-1]
    keep = np.zeros(n + 1, dtype=bool)
    keep[order[first] + 1] = True
    return keep[lab], int((per_slice > 1).sum())


@_in_box
def _fill_holes(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Fill in-plane holes of every slice (background not connected to the slice's border);
    returns (mask, slices changed)."""
    lab, n = ndimage.label(~mask, structure=_PLANAR)
    if n == 0:
        return mask, 0
    outer = np.zeros(n + 1, dtype=bool)
    for edge in (lab[:, 0, :], lab[:, -1, :], lab[:, :, 0], lab[:, :, -1]):
        outer[edge] = True
    hole = ~outer
    hole[0] = False
    holes = hole[lab]
    if not holes.any():
        return mask, 0
    return mask | holes, int(holes.any(axis=(1, 2)).sum())


def grow8(mask: np.ndarray) -> np.ndarray:
    """In-plane dilation of a (Z, H, W) mask by one pixel, 8-connected."""
    out = mask.copy()
    out[:, 1:, :] |= mask[:, :-1, :]
    out[:, :-1, :] |= mask[:, 1:, :]
    rows = out.copy()
    out[:, :, 1:] |= rows[:, :, :-1]
    out[:, :, :-1] |= rows[:, :, 1:]
    return out


def cavity_from_sdt(sdt_cav: np.ndarray, counts: dict[str, int] | None = None) -> np.ndarray:
    """LV cavity mask from its SDT: one connected component per slice, no holes."""
    cav, n_cc = _largest_per_slice(sdt_cav < 0)
    cav, n_holes = _fill_holes(cav)
    if counts is not None:
        counts["cavity_components"] = counts.get("cavity_components", 0) + n_cc
        counts["cavity_holes"] = counts.get("cavity_holes", 0) + n_holes
    return cav


def to_labels(
    sdt: dict[str, np.ndarray],
    enclosed: np.ndarray,
    counts: dict[str, int] | None = None,
    cav: np.ndarray | None = None,
) -> np.ndarray:
    """Rasterise SDTs into a plausible uint8 label map (Z, H, W) and count the fixes.

    Fixes (each counted in slices): LV cavity kept to its largest component per slice and its holes
    filled; myocardium added around the cavity wherever ``enclosed`` says the source enclosed it;
    cavity + myocardium cut out of the RV; background enclosed by the heart given to the RV.
    """
    counts = {} if counts is None else counts
    if cav is None:
        cav = cavity_from_sdt(sdt["cav"], counts)
    epi = (sdt["epi"] < 0) | cav
    ring = grow8(cav) & enclosed[:, None, None]
    missing = ring & ~epi
    counts["open_myocardium"] = counts.get("open_myocardium", 0) + int(missing.any(axis=(1, 2)).sum())
    epi |= ring
    epi, n_epi_holes = _fill_holes(epi)
    counts["myocardium_holes"] = counts.get("myocardium_holes", 0) + n_epi_holes
    rv = (sdt["rv"] < 0) & ~epi
    heart, n_holes = _fill_holes(rv | epi)
    rv |= heart & ~(rv | epi)
    counts["background_holes"] = counts.get("background_holes", 0) + n_holes
    label = np.full(cav.shape, LABEL_BACKGROUND, dtype=np.uint8)
    label[rv] = LABEL_RV
    label[epi] = LABEL_MYOCARDIUM
    label[cav] = LABEL_LV
    return label
