"""Analytic cine phantom: LV cavity, myocardium and RV with known volumes and bSSFP-like contrast.

The LV cavity is a prolate half-ellipsoid (base radius ``a`` mm, base-to-apex length ``c`` mm)
that contracts over the cardiac cycle. Each slice of thickness s carries the exact ellipsoid volume
of its slab: its cavity is the disc of area ``slab_volume / s``. The analytic volume of a phase is
therefore the truncated ellipsoid's volume, and a label map measures it up to pixelisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM, LABEL_RV
from cardio_monai.io.record import StudyRecord
from cardio_monai.volumes import MM3_PER_ML, ejection_fraction_pct

# bSSFP-like relative intensities (blood bright, myocardium dark, body tissue in between)
_BLOOD, _MYO, _BODY, _LUNG = 1.0, 0.28, 0.45, 0.06


@dataclass(frozen=True)
class PhantomTruth:
    """Analytic LV cavity volumes: ``volumes_ml`` per phase (T,), ED/ES indices and EF (%)."""

    volumes_ml: np.ndarray
    ed: int
    es: int

    @property
    def edv_ml(self) -> float:
        return float(self.volumes_ml[self.ed])

    @property
    def esv_ml(self) -> float:
        return float(self.volumes_ml[self.es])

    @property
    def ef_pct(self) -> float:
        return float(ejection_fraction_pct(self.edv_ml, self.esv_ml))


def _slab_volumes_mm3(a_mm: float, c_mm: float, n_slices: int, slice_mm: float) -> np.ndarray:
    """Exact half-ellipsoid volume (mm^3) in each slab [k s, (k+1) s] from the base, (Z,)."""
    z0 = np.minimum(np.arange(n_slices) * slice_mm, c_mm)
    z1 = np.minimum(z0 + slice_mm, c_mm)
    return np.pi * a_mm**2 * ((z1 - z0) - (z1**3 - z0**3) / (3.0 * c_mm**2))


def make_phantom(
    n_phases: int = 20,
    n_slices: int = 10,
    shape: tuple[int, int] = (192, 192),
    pixel_mm: float = 1.5,
    slice_mm: float = 8.0,
    edv_ml: float = 150.0,
    ef_pct: float = 55.0,
    es_phase: int | None = None,
    myo_mm: float = 9.0,
    noise: float = 0.03,
    bias: float = 0.25,
    seed: int = 0,
    subject: str = "phantom",
) -> tuple[StudyRecord, PhantomTruth]:
    """Make a cine phantom and its analytic volumes.

    Args:
        n_phases, n_slices: T and Z of the cine.
        shape: (H, W) pixels; ``pixel_mm``: square pixel size (mm); ``slice_mm``: slice spacing (mm).
        edv_ml: analytic LV cavity volume at ED (ml), before truncation by the stack (kept whole
            when ``n_slices * slice_mm`` exceeds the LV length).
        ef_pct: ejection fraction (%) of the analytic volumes.
        es_phase: ES index (default ~40 % of the cycle); ED is phase 0.
        myo_mm: myocardial wall thickness at ED (mm), thickening to keep its volume.
        noise: Rician noise level relative to the blood signal; ``bias``: amplitude of a smooth
            multiplicative bias field.
        seed: random seed (noise, bias, body shape).

    Returns:
        (record with frames (T, Z, H, W) float32, labels at ED and ES, ED = 0), truth.
    """
    rng = np.random.default_rng(seed)
    es = int(round(0.4 * n_phases)) if es_phase is None else int(es_phase)
    # ED half-ellipsoid with length 1.6 x base radius: V = 2/3 pi a^2 c
    a_ed = (edv_ml * MM3_PER_ML / (2.0 / 3.0 * np.pi * 1.6)) ** (1.0 / 3.0)
    c_ed = 1.6 * a_ed
    # volume scale k(t) in [1 - ef, 1], cosine-shaped: 1 at ED, 1 - ef at ES, back to 1
    phase = np.arange(n_phases, dtype=np.float64)
    cyc = np.where(phase <= es, phase / max(es, 1), 1.0 + (phase - es) / max(n_phases - es, 1))
    k = 1.0 - (ef_pct / 100.0) * 0.5 * (1.0 - np.cos(np.pi * cyc))
    # contraction: radius scales by k^(0.4), length by k^(0.2) so a^2 c scales by k
    a_t, c_t = a_ed * k**0.4, c_ed * k**0.2

    h, w = shape
    rows = (np.arange(h) - (h - 1) / 2.0) * pixel_mm
    cols = (np.arange(w) - (w - 1) / 2.0) * pixel_mm
    yy, xx = np.meshgrid(rows, cols, indexing="ij")
    lv_centre = (0.08 * h * pixel_mm * rng.uniform(-1, 1), 0.08 * w * pixel_mm * rng.uniform(-1, 1))
    ry, rx = yy - lv_centre[0], xx - lv_centre[1]
    dist_lv = np.hypot(ry, rx)
    body = (yy / (0.45 * h * pixel_mm)) ** 2 + (xx / (0.48 * w * pixel_mm)) ** 2 < 1.0
    lung = body & (np.hypot(yy + 0.15 * h * pixel_mm, xx - 0.3 * w * pixel_mm) < 0.16 * w * pixel_mm)
    yb = (yy - yy.mean()) / (h * pixel_mm)
    xb = (xx - xx.mean()) / (w * pixel_mm)
    g = rng.normal(size=4)
    field = 1.0 + bias * np.tanh(g[0] * xb + g[1] * yb + g[2] * xb * yb + g[3] * (xb**2 - yb**2))

    frames = np.zeros((n_phases, n_slices, h, w), dtype=np.float32)
    labels: dict[int, np.ndarray] = {}
    volumes = np.zeros(n_phases)
    myo_area_ed = None
    for t in range(n_phases):
        slabs = _slab_volumes_mm3(a_t[t], c_t[t], n_slices, slice_mm)
        volumes[t] = slabs.sum() / MM3_PER_ML
        r_cav = np.sqrt(slabs / (np.pi * slice_mm))  # (Z,) mm
        if myo_area_ed is None:  # myocardium as an annulus whose area per slice is conserved
            myo_area_ed = np.pi * ((r_cav + myo_mm) ** 2 - r_cav**2) * (r_cav > 0)
        r_epi = np.sqrt(r_cav**2 + myo_area_ed / np.pi)
        label = np.zeros((n_slices, h, w), dtype=np.uint8)
        for z in range(n_slices):
            if r_epi[z] <= 0:
                continue
            rv_r = 0.95 * r_epi[z] * np.sqrt(k[t])
            rv = np.hypot(ry, rx + 1.35 * r_epi[z]) < rv_r + 0.5 * r_epi[z]
            label[z][rv & (dist_lv > r_epi[z] + 2.0)] = LABEL_RV
            label[z][dist_lv <= r_epi[z]] = LABEL_MYOCARDIUM
            label[z][dist_lv <= r_cav[z]] = LABEL_LV
        img = np.where(body, _BODY, 0.0)[None] * np.ones((n_slices, 1, 1))
        img[:, lung] = _LUNG
        img[label == LABEL_MYOCARDIUM] = _MYO
        img[(label == LABEL_LV) | (label == LABEL_RV)] = _BLOOD
        img = ndimage.gaussian_filter(img, sigma=(0, 0.6, 0.6)) * field[None]
        n1 = rng.normal(scale=noise, size=img.shape)
        n2 = rng.normal(scale=noise, size=img.shape)
        frames[t] = (np.hypot(img + n1, n2) * 1000.0).astype(np.float32)
        if t in (0, es):
            labels[t] = label
    affine = np.diag([pixel_mm, pixel_mm, slice_mm, 1.0])
    record = StudyRecord(
        subject=subject,
        frames=frames,
        affine=affine,
        pixel_spacing=(pixel_mm, pixel_mm),
        slice_spacing=slice_mm,
        ed=0,
        es=es,
        labels=labels,
        source=f"phantom(seed={seed})",
        meta={"space": "phantom"},
    )
    return record, PhantomTruth(volumes_ml=volumes, ed=0, es=es)
