"""Agreement between predicted and reference values: RMSE (+- SD of the errors), MAE, bias, Pearson r,
Bland-Altman limits of agreement, each with a seeded percentile-bootstrap 95 % confidence interval.

Errors are ``predicted - reference``, in the unit of the inputs (ml for volumes, percentage points for EF).
The bootstrap resamples subjects with replacement; the same seed gives the same intervals.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cardio_monai.volumes import ejection_fraction_pct

# Subgroup of reduced ejection fraction (by the reference EF), as in the paper's ablation.
EF_LOW_PCT = 40.0
N_BOOTSTRAP = 2000
BOOTSTRAP_SEED = 0
CI_LEVEL = 0.95
LOA_Z = 1.96  # Bland-Altman limits of agreement: bias +- LOA_Z x SD of the errors
MIN_N_PEARSON = 3  # fewer subjects give a meaningless (+-1 or undefined) correlation

QUANTITIES = ("EDV", "ESV", "EF")
UNITS = {"EDV": "ml", "ESV": "ml", "EF": "%"}
METRIC_NAMES = ("rmse", "rmse_sd", "mae", "bias", "pearson_r", "loa_lower", "loa_upper")


def agreement_stats(pred: np.ndarray, ref: np.ndarray) -> dict[str, np.ndarray]:
    """Point metrics along the last axis of ``pred``/``ref`` (..., n); vectorised so that one call serves
    both the estimate (n,) and all bootstrap resamples (B, n).

    Returns float arrays (...) keyed by :data:`METRIC_NAMES`: ``rmse`` sqrt(mean(e^2)), ``rmse_sd`` the sample
    SD of the errors e (ddof 1), ``mae`` mean |e|, ``bias`` mean e, ``pearson_r`` between pred and ref,
    ``loa_lower``/``loa_upper`` bias -/+ 1.96 SD. NaN where undefined (SD with n < 2, r with n < 3 or a
    constant input).
    """
    pred = np.asarray(pred, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    n = pred.shape[-1]
    err = pred - ref
    bias = err.mean(axis=-1)
    sd = err.std(axis=-1, ddof=1) if n > 1 else np.full(bias.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if n >= MIN_N_PEARSON:
            dp = pred - pred.mean(axis=-1, keepdims=True)
            dr = ref - ref.mean(axis=-1, keepdims=True)
            denom = np.sqrt((dp * dp).sum(axis=-1) * (dr * dr).sum(axis=-1))
            r = np.where(denom > 0, (dp * dr).sum(axis=-1) / np.where(denom > 0, denom, 1.0), np.nan)
            r = np.clip(r, -1.0, 1.0)
        else:
            r = np.full(bias.shape, np.nan)
    return {
        "rmse": np.sqrt((err * err).mean(axis=-1)),
        "rmse_sd": sd,
        "mae": np.abs(err).mean(axis=-1),
        "bias": bias,
        "pearson_r": r,
        "loa_lower": bias - LOA_Z * sd,
        "loa_upper": bias + LOA_Z * sd,
    }


def bootstrap_ci(
    pred: np.ndarray,
    ref: np.ndarray,
    n_resamples: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
    level: float = CI_LEVEL,
) -> dict[str, tuple[float, float] | None]:
    """Percentile-bootstrap confidence interval of every metric of :func:`agreement_stats`.

    Subjects are resampled with replacement ``n_resamples`` times with ``numpy.random.default_rng(seed)``;
    resamples where a metric is undefined (e.g. constant values for r) are left out of its interval.
    Returns ``(lo, hi)`` per metric, None where no resample defines it.
    """
    pred = np.asarray(pred, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    n = pred.shape[-1]
    if n == 0:
        return dict.fromkeys(METRIC_NAMES)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    boot = agreement_stats(pred[idx], ref[idx])
    tail = 100.0 * (1.0 - level) / 2.0
    out: dict[str, tuple[float, float] | None] = {}
    for name, values in boot.items():
        values = values[np.isfinite(values)]
        if values.size == 0:
            out[name] = None
        else:
            lo, hi = np.percentile(values, [tail, 100.0 - tail])
            out[name] = (float(lo), float(hi))
    return out


def agreement(pred: np.ndarray, ref: np.ndarray, n_bootstrap: int = N_BOOTSTRAP, seed: int = BOOTSTRAP_SEED) -> dict:
    """Metrics of one quantity with their 95 % CIs, ready for JSON.

    Returns ``{"n": n, "<metric>": {"value": float | None, "ci95": [lo, hi] | None}, ...}`` for every name
    in :data:`METRIC_NAMES` (None where undefined, e.g. every metric when n is 0).
    """
    pred = np.asarray(pred, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if pred.shape != ref.shape or pred.ndim != 1:
        raise ValueError(f"pred and ref must be 1-D arrays of one length, got {pred.shape} and {ref.shape}")
    n = int(pred.size)
    out: dict = {"n": n}
    if n == 0:
        out.update({name: {"value": None, "ci95": None} for name in METRIC_NAMES})
        return out
    point = agreement_stats(pred, ref)
    ci = bootstrap_ci(pred, ref, n_bootstrap, seed)
    for name in METRIC_NAMES:
        value = float(point[name])
        interval = ci[name]
        out[name] = {
            "value": value if np.isfinite(value) else None,
            "ci95": None if interval is None or not np.isfinite(value) else [interval[0], interval[1]],
        }
    return out


def cardiac_agreement(
    pred: Mapping[str, np.ndarray],
    ref: Mapping[str, np.ndarray],
    n_bootstrap: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
) -> dict:
    """:func:`agreement` of EDV (ml), ESV (ml) and EF (%) over the same subjects.

    ``pred`` and ``ref`` map ``EDV``, ``ESV`` (and optionally ``EF``; computed with
    :func:`cardio_monai.volumes.ejection_fraction_pct` when absent) to 1-D arrays in one subject order.
    Every quantity uses the same seed, hence the same resampled subjects.
    """
    pred, ref = with_ef(pred), with_ef(ref)
    return {q: agreement(pred[q], ref[q], n_bootstrap, seed) for q in QUANTITIES}


def with_ef(values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Copy of ``values`` with ``EF`` (%) added from ``EDV``/``ESV`` when missing."""
    out = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    if "EF" not in out:
        out["EF"] = np.atleast_1d(ejection_fraction_pct(out["EDV"], out["ESV"]))
    return out


def low_ef_mask(ref_ef_pct: np.ndarray, threshold_pct: float = EF_LOW_PCT) -> np.ndarray:
    """Subjects whose reference EF is below ``threshold_pct`` (reduced EF subgroup)."""
    return np.asarray(ref_ef_pct, dtype=np.float64) < threshold_pct
