"""Contour sheets: one PNG per study with the segmenter's LV cavity, myocardium and RV outlines drawn on
every slice at ED and ES, so a person can confirm the numbers at a glance."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM, LABEL_RV
from cardio_monai.evaluation.plots import _png

# drawn in this order: the LV cavity last, on top of the myocardium's inner edge
CONTOUR_COLOURS = {LABEL_MYOCARDIUM: "#34c759", LABEL_RV: "#0a84ff", LABEL_LV: "#ff3b30"}


def heart_box(frames: np.ndarray, labels: np.ndarray, margin: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Frames and labels (..., H, W) cropped to the box around every labelled pixel of the study, widened
    by ``margin`` of its size on each side (the whole frame when nothing is labelled)."""
    rows, cols = np.nonzero((labels > 0).reshape(-1, *labels.shape[-2:]).any(axis=0))
    if rows.size == 0:
        return frames, labels
    h, w = labels.shape[-2:]
    pad = int(margin * max(rows.max() - rows.min(), cols.max() - cols.min())) + 4
    r0, r1 = max(rows.min() - pad, 0), min(rows.max() + pad + 1, h)
    c0, c1 = max(cols.min() - pad, 0), min(cols.max() + pad + 1, w)
    return frames[..., r0:r1, c0:c1], labels[..., r0:r1, c0:c1]


def contour_sheet_png(
    frames: np.ndarray, labels: np.ndarray, title: str = "", panel_inches: float = 1.6, max_slices: int = 20
) -> bytes:
    """PNG bytes of a sheet of (2, Z, H, W) ED/ES frames (any intensity scale) with the outlines of
    (2, Z, H, W) label maps: rows ED and ES, one column per slice (base -> apex), LV cavity red,
    myocardium green, RV blue; windowed to [1, 99] % of the study."""
    frames = np.asarray(frames, dtype=np.float32)
    labels = np.asarray(labels)
    frames, labels = heart_box(frames, labels)
    z = min(frames.shape[1], max_slices)
    lo, hi = np.percentile(frames, [1, 99])
    fig = Figure(figsize=(panel_inches * z, panel_inches * 2 + 0.5))
    axes = fig.subplots(2, z, squeeze=False)
    for p, phase in enumerate(("ED", "ES")):
        for k in range(z):
            ax = axes[p, k]
            ax.imshow(frames[p, k], cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
            for value, colour in CONTOUR_COLOURS.items():
                mask = labels[p, k] == value
                if mask.any():
                    ax.contour(mask.astype(np.float32), levels=[0.5], colors=colour, linewidths=0.8)
            ax.set_xticks([])
            ax.set_yticks([])
            if k == 0:
                ax.set_ylabel(phase)
            if p == 0:
                ax.set_title(f"slice {k + 1}", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.99, bottom=0.01, top=0.88 if title else 0.95, wspace=0.02, hspace=0.05)
    return _png(fig)
