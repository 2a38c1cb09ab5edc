"""Geometry checks shared by the readers: spacings finite, positive and plausible, read from the raw
headers before a library fixes them up, and a file's declared array size against its length."""

from __future__ import annotations

import math
from collections.abc import Sequence
from os import PathLike

import numpy as np

from cardio_monai.constants import PIXEL_MM_RANGE, SLICE_MM_RANGE
from cardio_monai.errors import InputError


def check_spacing(
    path: str | PathLike | None, what: str, values: Sequence[float], mm_range: tuple[float, float]
) -> None:
    """Raise :class:`InputError` unless every value of ``values`` (mm) is finite and inside ``mm_range``.

    Args:
        path: the file or study the values come from (named in the error).
        what: the header field, as the user would look it up (``pixdim``, ``PixelSpacing``).
        values: the spacings in mm.
        mm_range: (lowest, highest) plausible spacing.
    """
    shown = tuple(round(float(v), 6) for v in values)
    if not all(math.isfinite(float(v)) and float(v) > 0 for v in values):
        raise InputError(path, f"{what} {shown} is not finite and positive; the header is corrupt")
    lo, hi = mm_range
    if not all(lo <= float(v) <= hi for v in values):
        raise InputError(path, f"{what} {shown} mm outside the plausible {lo:g}-{hi:g} mm; the header is corrupt")


def check_study_geometry(path: str | PathLike | None, pixel_spacing: Sequence[float], slice_spacing: float) -> None:
    """A study's in-plane and between-slice spacings (see :func:`check_spacing`)."""
    check_spacing(path, "pixel spacing", pixel_spacing, PIXEL_MM_RANGE)
    check_spacing(path, "slice spacing", (slice_spacing,), SLICE_MM_RANGE)


def check_declared_size(path: str | PathLike, declared_bytes: int, available_bytes: int) -> None:
    """Refuse a file whose header declares more array bytes than it can hold (before any allocation)."""
    if declared_bytes > available_bytes:
        raise InputError(
            path,
            f"header declares {declared_bytes:,} bytes of voxels, more than the file can hold "
            f"({available_bytes:,}); truncated or corrupt",
        )


def header_numbers(path: str | PathLike, tag: str, value, count: int | None = None) -> np.ndarray:
    """A numeric header attribute (one value or a sequence) as float64, or an :class:`InputError`
    naming the tag: garbage strings, a wrong number of values, NaN or inf."""
    values = [value] if isinstance(value, str | bytes | int | float) else list(value)
    try:
        out = np.array([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(path, f"{tag} {str(value)[:40]!r} is not numeric") from None
    if (count is not None and out.size != count) or not np.all(np.isfinite(out)):
        raise InputError(path, f"{tag} {str(value)[:40]!r} is not {count or 1} finite number(s)")
    return out
