"""Figures of a synthetic mask cohort (PNG): the EF histogram of sources and cohort, and example slices."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cardio_monai.constants import EF_MAX_PCT, EF_MIN_PCT, LABEL_LV
from cardio_monai.io import load_label
from cardio_monai.utils import atomic_path

EXAMPLES = 8  # subjects shown in the example grid


def plot_ef_histogram(path: Path, source_ef: np.ndarray, synthetic_ef: np.ndarray) -> None:
    """Histogram (density) of the sources' EF (%) and of the synthetic cohort's, with the target range shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    edges = np.linspace(0, 100, 41)
    ax.hist(source_ef, bins=edges, density=True, alpha=0.6, label=f"source (n={len(source_ef)})")
    ax.hist(synthetic_ef, bins=edges, density=True, alpha=0.6, label=f"synthetic (n={len(synthetic_ef)})")
    ax.axvspan(EF_MIN_PCT, EF_MAX_PCT, color="0.9", zorder=0)
    ax.set_xlabel("EF (%)")
    ax.set_ylabel("density")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


def plot_examples(path: Path, out: Path, rows: list[dict], count: int = EXAMPLES) -> None:
    """ED and ES mid-ventricular slices of up to ``count`` subjects spread over the EF range."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not rows:
        return
    chosen = sorted(rows, key=lambda r: r["EF_pct"])
    chosen = [chosen[i] for i in np.unique(np.linspace(0, len(chosen) - 1, min(count, len(chosen))).astype(int))]
    fig, axes = plt.subplots(2, len(chosen), figsize=(2 * len(chosen), 4.4), squeeze=False)
    for j, r in enumerate(chosen):
        for i, key in enumerate(("ed_path", "es_path")):
            lab = load_label(out / r[key])
            z = int(np.argmax((lab == LABEL_LV).sum(axis=(1, 2))))
            axes[i, j].imshow(lab[z], cmap="viridis", vmin=0, vmax=3, interpolation="nearest")
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
        axes[0, j].set_title(f"EF {r['EF_pct']:.0f}%\n{r['operation'].split('(')[0]}", fontsize=8)
    axes[0, 0].set_ylabel("ED")
    axes[1, 0].set_ylabel("ES")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
