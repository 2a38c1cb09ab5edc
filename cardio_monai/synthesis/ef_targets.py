"""The target EF of a synthetic subject and the tests of a cohort's EF distribution: uniform on
[EF_MIN_PCT, EF_MAX_PCT] (the paper's cohort), or the sources' own EFs smoothed by Gaussian jitter of
``SYN_EF_SOURCE_JITTER_PCT`` (the paper's ablation, ``synthesize-masks --ef_distribution sources``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cardio_monai.constants import EF_MAX_PCT, EF_MIN_PCT, SYN_CHI2_BINS, SYN_EF_BIN_PCT, SYN_EF_SOURCE_JITTER_PCT
from cardio_monai.errors import InputError, ParameterError

EF_DISTRIBUTIONS = ("uniform", "sources")  # the target EF's distribution; the first is the default
_MAX_REDRAWS = 100_000  # ``sources`` targets outside the range redrawn at most this often
MIN_SOURCE_EF_MASS = 1e-3  # ef_distribution='sources' needs this much of the smoothed source EFs in range


class UnreachableEF(RuntimeError):
    """No source and operation reaches the target EF bin of a synthetic subject."""


def check_ef_distribution(ef_distribution: object) -> str:
    """``ef_distribution`` if it is one of ``EF_DISTRIBUTIONS``, else :class:`ParameterError` naming it."""
    if not isinstance(ef_distribution, str) or ef_distribution not in EF_DISTRIBUTIONS:
        names = ", ".join(EF_DISTRIBUTIONS)
        raise ParameterError("ef_distribution", f"{ef_distribution!r} is not one of {names}")
    return ef_distribution


def source_ef_mass(source_ef_pct: np.ndarray, lo: float, hi: float) -> float:
    """Probability (0-1) of [lo, hi) (EF %) under the sources' smoothed EF distribution before it is
    restricted to [EF_MIN_PCT, EF_MAX_PCT]: the mean over sources of the Gaussian mass of the interval."""
    from scipy.special import ndtr

    ef = np.asarray(source_ef_pct, dtype=float)
    z_lo, z_hi = (lo - ef) / SYN_EF_SOURCE_JITTER_PCT, (hi - ef) / SYN_EF_SOURCE_JITTER_PCT
    return float(np.mean(ndtr(z_hi) - ndtr(z_lo)))


def check_source_efs(source_ef_pct: np.ndarray, where: str | Path) -> None:
    """:class:`InputError` (naming ``where``) unless the sources' smoothed EFs (%) put at least
    ``MIN_SOURCE_EF_MASS`` of their probability in [EF_MIN_PCT, EF_MAX_PCT]."""
    ef = np.asarray(source_ef_pct, dtype=float)
    if source_ef_mass(ef, EF_MIN_PCT, EF_MAX_PCT) < MIN_SOURCE_EF_MASS:
        raise InputError(
            where,
            f"the sources' EFs ({ef.min():.1f}-{ef.max():.1f} %) lie outside EF {EF_MIN_PCT:g}-{EF_MAX_PCT:g} %; "
            "ef_distribution='sources' has no target EF to draw",
        )


def target_probabilities(edges: np.ndarray, source_ef_pct: np.ndarray | None = None) -> np.ndarray:
    """Probability of each EF bin ``[edges[j], edges[j + 1])`` (%, within [EF_MIN_PCT, EF_MAX_PCT]) under the
    target distribution: uniform (``source_ef_pct`` None) or the sources' (:func:`target_bin`). Shape
    ``(len(edges) - 1,)``, summing to 1 when the edges span the range."""
    from scipy.special import ndtr

    edges = np.asarray(edges, dtype=float)
    if source_ef_pct is None:
        return np.diff(edges) / (EF_MAX_PCT - EF_MIN_PCT)
    ef = np.asarray(source_ef_pct, dtype=float)
    cdf = ndtr((edges[:, None] - ef[None, :]) / SYN_EF_SOURCE_JITTER_PCT).mean(axis=1)
    return np.diff(cdf) / source_ef_mass(ef, EF_MIN_PCT, EF_MAX_PCT)


def _draw_from_sources(rng: np.random.Generator, source_ef_pct: np.ndarray) -> float:
    for _ in range(_MAX_REDRAWS):
        i = int(rng.integers(len(source_ef_pct)))
        t = float(source_ef_pct[i] + SYN_EF_SOURCE_JITTER_PCT * rng.standard_normal())
        if EF_MIN_PCT <= t < EF_MAX_PCT:
            return t
    raise UnreachableEF(f"no target EF in [{EF_MIN_PCT}, {EF_MAX_PCT}) near the source EFs after {_MAX_REDRAWS} draws")


def target_bin(rng: np.random.Generator, source_ef_pct: np.ndarray | None = None) -> tuple[float, float, float]:
    """Draw the target EF (%); returns (target, bin low, bin high), the fine bin of width ``SYN_EF_BIN_PCT``.

    Args:
        rng: the subject's generator.
        source_ef_pct: None for EF uniform on [EF_MIN_PCT, EF_MAX_PCT); else the sources' EFs (%, shape
            ``(n_sources,)``), for a source's EF plus ``SYN_EF_SOURCE_JITTER_PCT`` Gaussian jitter, redrawn
            until in range (raises :class:`UnreachableEF` after ``_MAX_REDRAWS`` draws).
    """
    if source_ef_pct is None:
        t = float(rng.uniform(EF_MIN_PCT, EF_MAX_PCT))
    else:
        t = _draw_from_sources(rng, np.asarray(source_ef_pct, dtype=float))
    n_bins = int(round((EF_MAX_PCT - EF_MIN_PCT) / SYN_EF_BIN_PCT))
    k = min(int((t - EF_MIN_PCT) // SYN_EF_BIN_PCT), n_bins - 1)
    lo = EF_MIN_PCT + k * SYN_EF_BIN_PCT
    return t, lo, lo + SYN_EF_BIN_PCT


def chi2_uniform_p(ef_pct: np.ndarray, bins: int = SYN_CHI2_BINS) -> float:
    """p-value of a chi-square test of EF uniform on [EF_MIN_PCT, EF_MAX_PCT] over equal bins."""
    from scipy.stats import chisquare

    counts, _ = np.histogram(ef_pct, bins=bins, range=(EF_MIN_PCT, EF_MAX_PCT))
    return float(chisquare(counts).pvalue)


def chi2_sources_p(ef_pct: np.ndarray, source_ef_pct: np.ndarray, bins: int = SYN_CHI2_BINS) -> float:
    """p-value of a chi-square test of EF (%) following the sources' smoothed EF distribution (the target
    of ``ef_distribution='sources'``) over equal bins of [EF_MIN_PCT, EF_MAX_PCT]. Bins of target
    probability < 1e-6 are left out (0.0 if they hold a subject: impossible under the target)."""
    from scipy.stats import chisquare

    edges = np.linspace(EF_MIN_PCT, EF_MAX_PCT, bins + 1)
    counts, _ = np.histogram(ef_pct, bins=edges)
    prob = target_probabilities(edges, source_ef_pct)
    keep = prob >= 1e-6
    if counts[~keep].any():
        return 0.0
    if keep.sum() < 2:
        return 1.0  # one bin holds the whole target: nothing to test
    return float(chisquare(counts[keep], prob[keep] / prob[keep].sum() * counts[keep].sum()).pvalue)
