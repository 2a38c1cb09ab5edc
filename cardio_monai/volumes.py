"""LV volumes from label maps and ejection fraction: the one place volumes are computed.

Label maps are (Z, H, W) arrays (slices first) or (N, Z, H, W) batches. Areas are in mm^2,
volumes in ml (1 ml = 1000 mm^3), EF in %.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cardio_monai.constants import LABEL_LV
from cardio_monai.errors import ParameterError

MM3_PER_ML = 1000.0
VOLUME_METHODS = ("summation", "simpson")


def check_method(method: object) -> str:
    """The volume method, one of :data:`VOLUME_METHODS` (else :class:`ParameterError` naming ``method``)."""
    if method not in VOLUME_METHODS:
        raise ParameterError("method", f"{method!r} is not one of {', '.join(VOLUME_METHODS)}")
    return str(method)


def check_thickness(thickness_mm: object) -> float | None:
    """A slice thickness in mm: None (the study's spacing) or a finite positive number (else
    :class:`ParameterError` naming ``thickness_mm``)."""
    if thickness_mm is None:
        return None
    try:
        t = float(thickness_mm)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        t = float("nan")
    if isinstance(thickness_mm, bool) or not 0 < t < float("inf"):
        raise ParameterError("thickness_mm", f"{thickness_mm!r} is not a positive thickness in mm")
    return t


def volume_problem(edv_ml: float, esv_ml: float) -> str | None:
    """Why a pair of LV volumes (ml) cannot be a beating heart's, or None: not finite, not positive, or
    ESV above EDV (ED and ES swapped). EF of an accepted pair lies in [0, 100) %."""
    edv, esv = float(edv_ml), float(esv_ml)
    if not (np.isfinite(edv) and np.isfinite(esv)):
        return f"volumes EDV {edv} ml, ESV {esv} ml are not finite"
    if edv <= 0:
        return f"EDV {edv:.1f} ml is not positive (empty LV cavity at ED)"
    if esv <= 0:
        return f"ESV {esv:.1f} ml is not positive (empty LV cavity at ES)"
    if esv > edv:
        ef = ejection_fraction_pct(edv, esv)
        return f"ESV {esv:.1f} ml exceeds EDV {edv:.1f} ml (EF {ef:.0f} %): ED and ES swapped?"
    return None


def slice_areas_mm2(label: np.ndarray, pixel_spacing: Sequence[float], label_value: int = LABEL_LV) -> np.ndarray:
    """Area of ``label_value`` on each slice.

    Args:
        label: integer label map (..., Z, H, W).
        pixel_spacing: (row_mm, col_mm).
        label_value: the structure to measure (default LV cavity).

    Returns:
        float64 array (..., Z) of areas in mm^2.
    """
    label = np.asarray(label)
    counts = np.count_nonzero(label == label_value, axis=(-2, -1))
    return counts.astype(np.float64) * float(pixel_spacing[0]) * float(pixel_spacing[1])


def soft_slice_areas_mm2(probability: np.ndarray, pixel_spacing: Sequence[float]) -> np.ndarray:
    """Expected area of a structure on each slice from its class probability map (..., Z, H, W) in [0, 1]:
    the sum of the probabilities x pixel area, float64 (..., Z) in mm^2 (a one-hot map gives
    :func:`slice_areas_mm2`)."""
    sums = np.asarray(probability, dtype=np.float64).sum(axis=(-2, -1))
    return sums * float(pixel_spacing[0]) * float(pixel_spacing[1])


def volume_from_areas_ml(areas_mm2: np.ndarray, thickness_mm: float, method: str = "summation") -> np.ndarray:
    """Volume from per-slice areas (..., Z).

    ``summation`` (method of discs): sum of area x thickness. ``simpson``: composite Simpson's rule
    over the slice centres plus a half-slice cap of constant area at base and apex, so that a
    constant-area cylinder gives exactly the summation volume and smooth profiles are integrated
    to third order.
    """
    areas = np.asarray(areas_mm2, dtype=np.float64)
    t = float(thickness_mm)
    if method == "summation":
        return areas.sum(axis=-1) * t / MM3_PER_ML
    if method == "simpson":
        from scipy.integrate import simpson

        n = areas.shape[-1]
        if n == 1:
            return areas[..., 0] * t / MM3_PER_ML
        inner = simpson(areas, dx=t, axis=-1)
        caps = 0.5 * t * (areas[..., 0] + areas[..., -1])
        return (inner + caps) / MM3_PER_ML
    raise ParameterError("method", f"{method!r} is not one of {', '.join(VOLUME_METHODS)}")


def lv_volume_ml(
    label: np.ndarray,
    spacing_mm: Sequence[float],
    method: str = "summation",
    thickness_mm: float | None = None,
    label_value: int = LABEL_LV,
) -> float | np.ndarray:
    """LV cavity volume (ml) from a label map.

    Args:
        label: integer label map (..., Z, H, W), values 0 bg, 1 RV, 2 myocardium, 3 LV cavity.
        spacing_mm: (row_mm, col_mm, slice_mm); slice_mm is the distance between slice centres.
        method: ``summation`` (voxel count x voxel volume when thickness is the slice spacing)
            or ``simpson`` (see :func:`volume_from_areas_ml`).
        thickness_mm: slice thickness used for the discs; default the slice spacing (the paper
            used a fixed 8 mm).
        label_value: the label to measure.
    """
    t = float(spacing_mm[2]) if thickness_mm is None else float(thickness_mm)
    areas = slice_areas_mm2(label, spacing_mm[:2], label_value)
    vol = volume_from_areas_ml(areas, t, method)
    return float(vol) if np.ndim(vol) == 0 else vol


def cavity_volume_ml(cavity: np.ndarray, spacing_mm: Sequence[float], thickness_mm: float | None = None) -> float:
    """LV volume (ml) of a boolean cavity mask (Z, H, W) by Simpson's rule (see :func:`lv_volume_ml`)."""
    label = cavity.astype(np.uint8) * LABEL_LV
    return float(lv_volume_ml(label, spacing_mm, method="simpson", thickness_mm=thickness_mm))


def ejection_fraction_pct(edv_ml: float | np.ndarray, esv_ml: float | np.ndarray) -> float | np.ndarray:
    """EF = 100 (EDV - ESV) / EDV in %; NaN where EDV is not positive."""
    edv = np.asarray(edv_ml, dtype=np.float64)
    esv = np.asarray(esv_ml, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ef = np.where(edv > 0, 100.0 * (edv - esv) / np.where(edv > 0, edv, 1.0), np.nan)
    return float(ef) if ef.ndim == 0 else ef


def ejection_fraction_sd_pct(
    edv_ml: float | np.ndarray, esv_ml: float | np.ndarray, edv_sd_ml: float | np.ndarray, esv_sd_ml: float | np.ndarray
) -> float | np.ndarray:
    """SD of EF (%) from the SDs of EDV and ESV (ml), first-order error propagation with independent
    errors: EF = 100 (1 - ESV / EDV), so var = 100^2 ((ESV / EDV^2)^2 sd_EDV^2 + (sd_ESV / EDV)^2)."""
    edv = np.asarray(edv_ml, dtype=float)
    esv = np.asarray(esv_ml, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (esv / edv**2) ** 2 * np.asarray(edv_sd_ml, float) ** 2 + (np.asarray(esv_sd_ml, float) / edv) ** 2
        sd = 100.0 * np.sqrt(var)
    return float(sd) if np.ndim(sd) == 0 else sd
