"""Contour files (one ``x y`` point per line, pixel units) and their rasterisation to label maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cardio_monai.errors import InputError

# Pixel centres are sampled a hair off the integer grid so that points lying exactly on an edge
# (Sunnybrook contours run along half and whole pixel coordinates) go consistently to one side:
# the raster area is then an unbiased estimate of the polygon area, not 1-2 % over it.
_TIE_BREAK = (1.13e-6, 1.71e-6)


def read_contour(path: str | Path) -> np.ndarray:
    """Read a contour file as float64 (N, 2) points (x along columns, y along rows)."""
    path = Path(path)
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        raise InputError(path, f"cannot read contour ({exc.strerror})") from None
    points = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            if len(parts) != 2:
                raise ValueError
            x, y = float(parts[0]), float(parts[1])
            if not (np.isfinite(x) and np.isfinite(y)):
                raise ValueError
        except ValueError:
            raise InputError(path, f"line {n} is not an 'x y' point: {line.strip()[:40]!r}") from None
        points.append((x, y))
    if len(points) < 3:
        raise InputError(path, f"a contour needs at least 3 points, found {len(points)}")
    return np.asarray(points, dtype=np.float64)


def polygon_area_px(points: np.ndarray) -> float:
    """Area of a closed polygon (shoelace formula), in pixel units."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def polygon_mask(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Rasterise a closed polygon (x = column, y = row; pixel (r, c) centred at (c, r)).

    Even-odd rule on pixel centres, vectorised per row over the polygon's edges.

    Returns:
        bool array of ``shape`` (H, W).
    """
    h, w = shape
    mask = np.zeros((h, w), dtype=bool)
    x0, y0 = points[:, 0], points[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    r_lo = max(int(np.floor(y0.min())), 0)
    r_hi = min(int(np.ceil(y0.max())), h - 1)
    if r_hi < r_lo:
        return mask
    rows = np.arange(r_lo, r_hi + 1, dtype=np.float64) + _TIE_BREAK[1]
    ry = rows[:, None]
    crosses = (y0[None] <= ry) != (y1[None] <= ry)  # (R, E)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = x0[None] + (ry - y0[None]) * (x1 - x0)[None] / (y1 - y0)[None]
    xi = np.where(crosses, xi, np.inf)
    xi.sort(axis=1)
    cols = np.arange(w, dtype=np.float64) + _TIE_BREAK[0]
    # number of crossings left of each column centre; odd = inside
    n_left = (xi[:, :, None] < cols[None, None, :]).sum(axis=1)
    mask[r_lo : r_hi + 1] = (n_left % 2) == 1
    return mask
