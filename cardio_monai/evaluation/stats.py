"""Statistical comparison of two predictors: Kruskal-Wallis H test of their absolute errors (as the paper
compares its RSO and RSP models)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def kruskal_wallis(abs_errors_a: np.ndarray, abs_errors_b: np.ndarray) -> dict[str, float | int]:
    """Kruskal-Wallis H test between two samples (e.g. absolute errors of two predictors).

    Returns ``{"statistic": H, "p_value": p, "n": [n_a, n_b]}``. When every value of both samples is the same
    (scipy refuses: no ranks to compare), H is 0 and p is 1.
    """
    a = np.asarray(abs_errors_a, dtype=np.float64).ravel()
    b = np.asarray(abs_errors_b, dtype=np.float64).ravel()
    if a.size == 0 or b.size == 0:
        raise ValueError("Kruskal-Wallis needs at least one value in each sample")
    both = np.concatenate([a, b])
    if np.all(both == both[0]):
        statistic, p_value = 0.0, 1.0
    else:
        result = stats.kruskal(a, b)
        statistic, p_value = float(result.statistic), float(result.pvalue)
    return {"statistic": statistic, "p_value": p_value, "n": [int(a.size), int(b.size)]}


def compare_absolute_errors(pred_a: np.ndarray, pred_b: np.ndarray, ref: np.ndarray) -> dict[str, float | int]:
    """Kruskal-Wallis test of ``|pred_a - ref|`` against ``|pred_b - ref|`` (same subjects, same order)."""
    ref = np.asarray(ref, dtype=np.float64)
    return kruskal_wallis(np.abs(np.asarray(pred_a, dtype=np.float64) - ref), np.abs(np.asarray(pred_b) - ref))
