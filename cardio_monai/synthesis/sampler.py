"""Draw synthetic subjects whose EF follows a chosen distribution on [EF_MIN_PCT, EF_MAX_PCT].

Subject ``index`` of a cohort depends only on ``(seed, index)`` and the sources: its generator is
``numpy.random.default_rng([seed, index])``. It draws a target EF ``t`` from the cohort's EF
distribution (``EF_DISTRIBUTIONS``):

- ``uniform``: ``t`` uniform on [EF_MIN_PCT, EF_MAX_PCT);
- ``sources``: the sources' EFs smoothed, ``t = ef_i + SYN_EF_SOURCE_JITTER_PCT * z`` with ``i`` a
  source drawn uniformly and ``z`` standard normal, the pair redrawn until ``t`` lies in
  [EF_MIN_PCT, EF_MAX_PCT) (a Gaussian kernel density of the source EFs, restricted to the range);

the subject is kept only when its measured EF (from the written label maps, Simpson's rule) falls in
the same fine bin of width ``SYN_EF_BIN_PCT`` as ``t``. So every fine bin, hence every coarser bin made
of whole fine bins, holds exactly the target distribution's share of the cohort in expectation,
whatever the EF distribution of the sources.

To reach ``t`` it picks a source that can (uniformly among those), then:

- ``t`` below the source's EF: SDT interpolation, pairs (ED, interpolated) ``interp_ed`` or
  (interpolated, ES) ``interp_es``, alpha in (0, F);
- ``t`` above: rescaling about the LV centre, ES by gamma_es in [0.7, 1), ED by gamma_ed in [1, 1.2)
  (``rescale``);

with the continuous parameter aimed at ``t`` by a volume model, then corrected by secant steps on
the measured EF (cavity only, cheap); the other labels are rasterised once the EF is in the bin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cardio_monai.constants import (
    EF_MAX_PCT,
    EF_MIN_PCT,
    LABEL_LV,
    SYN_GAMMA_ED,
    SYN_GAMMA_ES,
    SYN_INTERP_STEPS,
    SYN_MAX_TRIES,
)
from cardio_monai.synthesis.ef_targets import UnreachableEF, check_ef_distribution, target_bin
from cardio_monai.synthesis.masks import cavity_from_sdt, interpolate, rescale, to_labels
from cardio_monai.synthesis.sources import SourceMasks
from cardio_monai.volumes import cavity_volume_ml, ejection_fraction_pct

OPERATIONS = ("interp_ed", "interp_es", "rescale")
_SECANT_STEPS = 4  # measurements per (source, operation) before another source is tried
_Q_MIN = SYN_GAMMA_ES[0] / SYN_GAMMA_ED[1]  # smallest gamma_es / gamma_ed
_W_EPS = 1e-3  # keeps alpha / F strictly inside (0, 1)


def ef_in_range(ef_pct: float) -> bool:
    """The cohort's EF filter: [EF_MIN_PCT, EF_MAX_PCT] (%)."""
    return EF_MIN_PCT <= ef_pct <= EF_MAX_PCT


def max_rescaled_ef(ef_pct: float) -> float:
    """Highest EF rescaling can give a source of EF ``ef_pct`` (ESV x q^2 / EDV, q >= _Q_MIN)."""
    return 100.0 - (100.0 - ef_pct) * _Q_MIN**2


@dataclass
class Synthetic:
    """One synthetic subject: ED/ES label maps (uint8 (Z, H, W)) on the source's cropped grid."""

    index: int
    subject: str
    source_subject: str
    operation: str
    ed: np.ndarray
    es: np.ndarray
    affine: np.ndarray
    edv_ml: float
    esv_ml: float
    ef_pct: float
    fixes: dict[str, int] = field(default_factory=dict)


class _Candidate:
    """A (source, operation) pair with one continuous parameter ``p``: EF(p) measured on the cavity."""

    def __init__(self, src: SourceMasks, op: str, u: float, thickness_mm: float | None):
        self.src, self.op, self.u, self.thickness = src, op, u, thickness_mm

    def gammas(self, q: float) -> tuple[float, float]:
        lo = max(SYN_GAMMA_ED[0], SYN_GAMMA_ES[0] / q)
        hi = min(SYN_GAMMA_ED[1], SYN_GAMMA_ES[1] / q)
        g_ed = lo + self.u * max(hi - lo, 0.0)
        return g_ed, q * g_ed

    def bounds(self) -> tuple[float, float]:
        return (_Q_MIN, 1.0) if self.op == "rescale" else (_W_EPS, 1.0 - _W_EPS)

    def guess(self, t: float) -> float:
        """Parameter giving EF ``t`` under a volume model (linear in w; area ~ gamma^2)."""
        s, f = self.src, t / 100.0
        if self.op == "interp_ed":  # ESV(w) = EDV + w (ESV - EDV): EF = w EF_src
            p = t / s.ef_pct
        elif self.op == "interp_es":  # EDV(w) = ESV / (1 - f)
            p = (s.edv_ml - s.esv_ml / (1.0 - f)) / (s.edv_ml - s.esv_ml)
        else:  # EF = 1 - (1 - EF_src) q^2
            p = np.sqrt(max(1.0 - f, 1e-6) / max(1.0 - s.ef_pct / 100.0, 1e-6))
        lo, hi = self.bounds()
        return float(np.clip(p, lo, hi - 1e-9))

    def sdts(self, p: float, structures: tuple[str, ...]) -> tuple[dict, dict]:
        s = self.src
        if self.op == "rescale":
            g_ed, g_es = self.gammas(p)
            ed = {k: rescale(s.sdt["ed"][k], g_ed, s.centre) for k in structures}
            es = {k: rescale(s.sdt["es"][k], g_es, s.centre) for k in structures}
            return ed, es
        mid = {
            k: interpolate(s.sdt["ed"][k], s.sdt["es"][k], SYN_INTERP_STEPS * p, SYN_INTERP_STEPS) for k in structures
        }
        return (s.sdt["ed"], mid) if self.op == "interp_ed" else (mid, s.sdt["es"])

    def measure(self, p: float) -> tuple[float, float, float, np.ndarray, np.ndarray, dict[str, int]]:
        """(EDV, ESV, EF, ED cavity, ES cavity, cavity fixes) at parameter ``p``."""
        s = self.src
        ed, es = self.sdts(p, ("cav",))
        fixes: dict[str, int] = {}
        # interp_ed keeps the source's ED, interp_es its ES
        cav_ed = s.labels["ed"] == LABEL_LV if self.op == "interp_ed" else cavity_from_sdt(ed["cav"], fixes)
        cav_es = s.labels["es"] == LABEL_LV if self.op == "interp_es" else cavity_from_sdt(es["cav"], fixes)
        edv = cavity_volume_ml(cav_ed, s.spacing, self.thickness)
        esv = cavity_volume_ml(cav_es, s.spacing, self.thickness)
        ef = ejection_fraction_pct(edv, esv)
        return edv, esv, ef, cav_ed, cav_es, fixes

    def describe(self, p: float) -> str:
        if self.op == "rescale":
            g_ed, g_es = self.gammas(p)
            return f"rescale(gamma_ed={g_ed:.4f};gamma_es={g_es:.4f})"
        return f"{self.op}(alpha={SYN_INTERP_STEPS * p:.4f}/{SYN_INTERP_STEPS})"


def _pick(rng: np.random.Generator, sources: list[SourceMasks], ef_src: np.ndarray, t: float) -> tuple[int, str]:
    below = ef_src > t  # interpolation lowers EF
    above = (ef_src < t) & (np.array([max_rescaled_ef(e) for e in ef_src]) > t)
    able = np.nonzero(below | above)[0]
    i = int(rng.choice(able)) if able.size else int(rng.integers(len(sources)))
    if ef_src[i] > t:
        return i, OPERATIONS[int(rng.integers(2))]
    return i, "rescale"


def synthesize_subject(
    index: int,
    sources: list[SourceMasks],
    seed: int,
    thickness_mm: float | None = None,
    ef_distribution: str = "uniform",
) -> Synthetic:
    """Synthetic subject number ``index`` of the cohort ``seed`` (see the module docstring).

    Args:
        index: the subject's number in the cohort.
        sources: the prepared source subjects (their order matters).
        seed: the cohort's seed.
        thickness_mm: slice thickness for Simpson's rule (None: each source's slice spacing).
        ef_distribution: the target EF's distribution, one of ``EF_DISTRIBUTIONS``.

    Raises:
        ParameterError: ``ef_distribution`` is not one of ``EF_DISTRIBUTIONS``.
        UnreachableEF: no candidate landed in the target bin after ``SYN_MAX_TRIES`` sources.
    """
    rng = np.random.default_rng([int(seed), int(index)])
    ef_src = np.array([s.ef_pct for s in sources])
    t, lo, hi = target_bin(rng, ef_src if check_ef_distribution(ef_distribution) == "sources" else None)
    for _ in range(SYN_MAX_TRIES):
        i, op = _pick(rng, sources, ef_src, t)
        cand = _Candidate(sources[i], op, float(rng.uniform()), thickness_mm)
        p_lo, p_hi = cand.bounds()
        aim = (lo + hi) / 2.0
        p = cand.guess(aim)
        pts: list[tuple[float, float]] = []
        for _step in range(_SECANT_STEPS):
            edv, esv, ef, cav_ed, cav_es, fixes = cand.measure(p)
            if lo <= ef < hi and ef_in_range(ef):
                return _finish(index, cand, p, (cav_ed, cav_es), (edv, esv, ef), fixes)
            if not np.isfinite(ef):
                break
            pts.append((p, ef))
            if len(pts) == 1:  # shift the model by the observed error
                p_new = cand.guess(float(np.clip(aim - (ef - cand_model(cand, p)), 0.1, 99.0)))
            else:
                (p0, e0), (p1, e1) = pts[-2], pts[-1]
                p_new = p1 + (aim - e1) * (p1 - p0) / (e1 - e0) if e1 != e0 else p1
            p_new = float(np.clip(p_new, p_lo, p_hi - 1e-9))
            if p_new == p:
                break
            p = p_new
    raise UnreachableEF(f"synthetic subject {index}: no EF in [{lo:.2f}, {hi:.2f}) after {SYN_MAX_TRIES} sources")


def cand_model(cand: _Candidate, p: float) -> float:
    """The volume model's EF (%) at parameter ``p`` (inverse of ``_Candidate.guess``)."""
    s = cand.src
    if cand.op == "interp_ed":
        return p * s.ef_pct
    if cand.op == "interp_es":
        edv = s.edv_ml + p * (s.esv_ml - s.edv_ml)
        return 100.0 * (1.0 - s.esv_ml / edv)
    return 100.0 - (100.0 - s.ef_pct) * p**2


def _finish(index: int, cand: _Candidate, p: float, cavities: tuple, volumes: tuple, fixes: dict) -> Synthetic:
    s = cand.src
    cav_ed, cav_es = cavities
    edv, esv, ef = volumes
    ed_sdt, es_sdt = cand.sdts(p, ("epi", "rv"))
    enclosed_mid = s.enclosed["ed"] & s.enclosed["es"]
    if cand.op == "interp_ed":
        ed = s.labels["ed"]
        es = to_labels(es_sdt, enclosed_mid, fixes, cav=cav_es)
    elif cand.op == "interp_es":
        ed = to_labels(ed_sdt, enclosed_mid, fixes, cav=cav_ed)
        es = s.labels["es"]
    else:
        ed = to_labels(ed_sdt, s.enclosed["ed"], fixes, cav=cav_ed)
        es = to_labels(es_sdt, s.enclosed["es"], fixes, cav=cav_es)
    return Synthetic(
        index=index,
        subject=f"syn_{s.subject}_{cand.op}_{index:06d}",
        source_subject=s.subject,
        operation=cand.describe(p),
        ed=ed,
        es=es,
        affine=s.affine,
        edv_ml=edv,
        esv_ml=esv,
        ef_pct=ef,
        fixes=fixes,
    )
