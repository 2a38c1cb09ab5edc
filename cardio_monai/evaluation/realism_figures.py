"""Pictures of the GauGAN realism experiments (PNG): real and synthetic frames side by side, the ED-ES
background change, and checkpoint scores against the epoch."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from cardio_monai.constants import CONTRAST_TOLERANCE
from cardio_monai.keys import IMAGE, LABEL, SUBJECT


def _image_grid(path, rows: Sequence[Sequence[tuple]], row_labels: Sequence[str], panel_inches: float = 2.0) -> None:
    """PNG of a grid: ``rows`` of panels ``(image (H, W), colormap, vmax, title)`` (vmin 0; titles on the
    first row), one label per row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_cols = len(rows[0])
    fig, axes = plt.subplots(
        len(rows), n_cols, figsize=(panel_inches * n_cols, 1.05 * panel_inches * len(rows)), squeeze=False
    )
    for r, panels in enumerate(rows):
        for c, (img, cmap, vmax, title) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(np.asarray(img), cmap=cmap, vmin=0, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=8)
        axes[r, 0].set_ylabel(row_labels[r], fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def spread_picks(n: int, count: int) -> list[int]:
    """Up to ``count`` indices spread evenly over ``range(n)``."""
    step = max(1, n // count)
    return list(range(0, n, step))[:count]


def example_grid(path, real: Sequence[dict[str, Any]], synthetic: Sequence[dict[str, Any]], count: int = 4) -> None:
    """PNG grid: for ``count`` items, real frame, label map and synthetic frame, at ED and at ES."""
    rows, labels = [], []
    for k in spread_picks(len(real), count):
        panels = []
        for p, phase in enumerate(("ED", "ES")):
            panels += [
                (real[k][IMAGE][p], "gray", 1, f"real {phase}"),
                (real[k][LABEL][p], "viridis", 3, f"labels {phase}"),
                (synthetic[k][IMAGE][p], "gray", 1, f"synthetic {phase}"),
            ]
        rows.append(panels)
        labels.append(f"{real[k][SUBJECT]} z{real[k]['slice']}")
    _image_grid(path, rows, labels)


def background_grid(
    path, items: Sequence[dict[str, Any]], rows: Sequence[tuple[str, Sequence[dict[str, Any]]]]
) -> None:
    """PNG: one row per item; its ED and ES label maps, then for each (name, frames) of ``rows`` (real or a
    generator's, aligned with ``items``) the ED frame, the ES frame and |ED - ES| (0 to 0.5)."""
    grid = []
    for r, item in enumerate(items):
        panels = [(item[LABEL][0], "viridis", 3, "labels ED"), (item[LABEL][1], "viridis", 3, "labels ES")]
        for name, frames in rows:
            image = np.asarray(frames[r][IMAGE])
            panels += [
                (image[0], "gray", 1, f"{name} ED"),
                (image[1], "gray", 1, f"{name} ES"),
                (np.abs(image[0] - image[1]), "magma", 0.5, f"{name} |ED-ES|"),
            ]
        grid.append(panels)
    _image_grid(path, grid, [f"{i[SUBJECT]} z{i['slice']}" for i in items], panel_inches=1.6)


def score_epoch(row: dict[str, Any], index: int) -> int:
    """A score row's epoch: its ``epoch`` key, else ``epoch=N`` in its checkpoint name, else its position."""
    if "epoch" in row:
        return int(row["epoch"])
    match = re.search(r"epoch=(\d+)", str(row.get("checkpoint", "")))
    return int(match[1]) if match else index + 1


def selection_plot(
    path,
    runs: Sequence[tuple[str, Sequence[dict[str, Any]]]],
    marks: Sequence[tuple[int, str]] = (),
    max_contrast: float = CONTRAST_TOLERANCE,
    title: str | None = None,
) -> None:
    """PNG of checkpoint scores against the epoch: blood/myocardium contrast difference (%) with the
    tolerance band, and the Dice ratios (LV, myocardium) with the 0.9 line. ``runs``: (name, score rows of
    ``select_checkpoint``); ``marks``: (epoch, text) drawn as vertical lines (e.g. the chosen epoch)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True)
    top.axhspan(-100 * max_contrast, 100 * max_contrast, color="tab:green", alpha=0.12, label="tolerance")
    for name, rows in runs:
        epochs = [score_epoch(r, k) for k, r in enumerate(rows)]
        top.plot(epochs, [100 * r["contrast_relative_difference"] for r in rows], "o-", ms=3, label=name)
        line = bottom.plot(epochs, [r["dice_ratio_myocardium"] for r in rows], "o-", ms=3, label=f"{name}: myocardium")
        bottom.plot(
            epochs, [r["dice_ratio_LV"] for r in rows], "^--", ms=3, color=line[0].get_color(), label=f"{name}: LV"
        )
    bottom.axhline(0.9, color="k", lw=0.8, ls=":")
    for epoch, text in marks:
        for ax in (top, bottom):
            ax.axvline(epoch, color="k", lw=0.8, alpha=0.5)
        top.annotate(text, (epoch, top.get_ylim()[1]), fontsize=7, ha="center", va="bottom")
    top.set_ylabel("contrast vs real (%)")
    bottom.set_ylabel("Dice ratio synthetic / real")
    bottom.set_xlabel("epoch")
    top.legend(fontsize=7)
    bottom.legend(fontsize=7, ncol=2)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
