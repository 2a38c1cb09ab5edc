"""Agreement plots as PNG bytes: predicted vs reference scatter with the identity line, and Bland-Altman
(difference vs mean, with the bias and bias +- 1.96 SD lines).

Uses matplotlib's object API on the Agg canvas (no pyplot state, no display needed).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cardio_monai.evaluation.metrics import LOA_Z, UNITS, agreement_stats

FIGSIZE_IN = (5.0, 4.5)
DPI = 120


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _label(quantity: str) -> str:
    return f"{quantity} ({UNITS.get(quantity, '')})" if quantity in UNITS else quantity


def _figure(pred: np.ndarray, ref: np.ndarray, x: str, y: str) -> tuple[Figure, Any, dict, np.ndarray, np.ndarray]:
    """A new figure and its axes with the points (``x``, ``y`` = "ref", "pred", "mean" or "diff") drawn,
    the agreement statistics and the float arrays."""
    pred = np.asarray(pred, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    values = {"ref": ref, "pred": pred, "mean": (pred + ref) / 2.0, "diff": pred - ref}
    fig = Figure(figsize=FIGSIZE_IN, layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(values[x], values[y], s=18, alpha=0.75, edgecolors="none")
    return fig, ax, agreement_stats(pred, ref), pred, ref


def scatter_png(pred: np.ndarray, ref: np.ndarray, quantity: str, title: str = "") -> bytes:
    """Predicted (y) vs reference (x) scatter with the identity line; n, r and RMSE in the title."""
    fig, ax, st, pred, ref = _figure(pred, ref, "ref", "pred")
    both = np.concatenate([pred, ref])
    lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="k", lw=1, ls="--", label="identity")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(f"reference {_label(quantity)}")
    ax.set_ylabel(f"predicted {_label(quantity)}")
    r = float(st["pearson_r"])
    r_text = f"r = {r:.3f}" if np.isfinite(r) else "r = n/a"
    ax.set_title(
        f"{title + ': ' if title else ''}{quantity}, n = {pred.size}, {r_text}, RMSE = {float(st['rmse']):.2f}"
    )
    ax.legend(loc="upper left", frameon=False)
    return _png(fig)


def bland_altman_png(pred: np.ndarray, ref: np.ndarray, quantity: str, title: str = "") -> bytes:
    """Bland-Altman plot: ``pred - ref`` against ``(pred + ref) / 2`` with bias and limits of agreement."""
    fig, ax, st, pred, ref = _figure(pred, ref, "mean", "diff")
    bias = float(st["bias"])
    ax.axhline(bias, color="k", lw=1.2, label=f"mean {bias:.2f}")
    lower, upper = float(st["loa_lower"]), float(st["loa_upper"])
    if np.isfinite(lower) and np.isfinite(upper):
        ax.axhline(upper, color="k", lw=1, ls="--", label=f"+{LOA_Z} SD {upper:.2f}")
        ax.axhline(lower, color="k", lw=1, ls="--", label=f"-{LOA_Z} SD {lower:.2f}")
    ax.axhline(0.0, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel(f"mean of predicted and reference {_label(quantity)}")
    ax.set_ylabel(f"predicted - reference {_label(quantity)}")
    ax.set_title(f"{title + ': ' if title else ''}{quantity} Bland-Altman, n = {pred.size}")
    ax.legend(loc="best", frameon=False, fontsize="small")
    return _png(fig)
