"""The combined estimate of the two readers (SFERA and the segmenter), its calibrated SD and the
agreement flag, all fitted on cross-validation predictions (every subject predicted by models that
never saw it), never on test subjects.

- EDV and ESV: ``w * seg + (1 - w) * sfera`` with ``w`` in [0, 1] the least-squares weight of the CV
  predictions; EF from the combined volumes (:func:`cardio_monai.volumes.ejection_fraction_pct`).
- SDs: calibrated so that 95 % of the CV errors lie within 1.96 SD: relative for volumes
  (``sd = r * volume``, ``r`` the 95th percentile of ``|error| / volume`` over 1.96), absolute for EF.
- ``readers_agree``: the readers' EF and EDV differences (seg - sfera) both inside their 95 % limits of
  agreement on the CV predictions.
A single reader gets the same calibration of its own CV errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from cardio_monai.errors import InputError
from cardio_monai.utils import atomic_path
from cardio_monai.volumes import ejection_fraction_pct

Z95 = 1.959964
VOLUMES = ("EDV", "ESV")
AGREEMENT_QUANTITIES = ("EF", "EDV")


@dataclass
class Calibration:
    """SD model of one estimate: relative SD of EDV and ESV (fraction of the volume) and SD of EF (%)."""

    edv_rel_sd: float
    esv_rel_sd: float
    ef_sd_pct: float

    def sds(self, edv_ml: float, esv_ml: float) -> tuple[float, float, float]:
        """(EDV SD ml, ESV SD ml, EF SD %) of an estimate."""
        return self.edv_rel_sd * edv_ml, self.esv_rel_sd * esv_ml, self.ef_sd_pct


@dataclass
class Combination:
    """The fitted combination (see the module docstring); ``n`` CV subjects it was fitted on."""

    seg_weight: dict[str, float]
    combined: Calibration
    sfera: Calibration
    seg: Calibration
    limits_of_agreement: dict[str, tuple[float, float]]
    n: int = 0
    notes: dict[str, str] = field(default_factory=dict)

    def combine(self, sfera: tuple[float, float], seg: tuple[float, float]) -> tuple[float, float, float]:
        """(EDV ml, ESV ml, EF %) from the readers' (EDV, ESV) in ml."""
        edv, esv = (self.seg_weight[q] * s + (1.0 - self.seg_weight[q]) * f for q, f, s in zip(VOLUMES, sfera, seg))
        return float(edv), float(esv), float(ejection_fraction_pct(edv, esv))

    def agree(self, sfera: tuple[float, float], seg: tuple[float, float]) -> bool:
        """True when the readers differ by less than their CV limits of agreement in EF and EDV."""
        diff = {"EF": ejection_fraction_pct(*seg) - ejection_fraction_pct(*sfera), "EDV": seg[0] - sfera[0]}
        return all(lo <= float(diff[q]) <= hi for q, (lo, hi) in self.limits_of_agreement.items())

    def save(self, path: str | Path) -> Path:
        with atomic_path(Path(path)) as tmp:
            tmp.write_text(json.dumps(asdict(self), indent=4) + "\n")
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> Combination:
        """Read a saved combination; a missing or malformed file is an :class:`InputError`."""
        path = Path(path)
        try:
            d = json.loads(path.read_text())
            return cls(
                seg_weight={q: float(d["seg_weight"][q]) for q in VOLUMES},
                combined=Calibration(**d["combined"]),
                sfera=Calibration(**d["sfera"]),
                seg=Calibration(**d["seg"]),
                limits_of_agreement={q: tuple(map(float, v)) for q, v in d["limits_of_agreement"].items()},
                n=int(d.get("n", 0)),
                notes=dict(d.get("notes", {})),
            )
        except FileNotFoundError:
            raise InputError(path, "no such readers' combination file") from None
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise InputError(path, f"not a readers' combination file ({type(err).__name__}: {err})") from None


def _calibration(edv: np.ndarray, esv: np.ndarray, ref: Mapping[str, np.ndarray]) -> Calibration:
    ef = ejection_fraction_pct(edv, esv)
    return Calibration(
        edv_rel_sd=float(np.quantile(np.abs(edv - ref["EDV"]) / edv, 0.95) / Z95),
        esv_rel_sd=float(np.quantile(np.abs(esv - ref["ESV"]) / esv, 0.95) / Z95),
        ef_sd_pct=float(np.quantile(np.abs(ef - ref["EF"]), 0.95) / Z95),
    )


def seg_weight(sfera: np.ndarray, seg: np.ndarray, ref: np.ndarray) -> float:
    """Least-squares weight of the segmenter in ``w * seg + (1 - w) * sfera`` for ``ref``, clipped to [0, 1]."""
    d = seg - sfera
    denom = float(np.sum(d * d))
    return float(np.clip(np.sum((ref - sfera) * d) / denom, 0.0, 1.0)) if denom > 0 else 0.5


def fit_combination(
    sfera: Mapping[str, np.ndarray], seg: Mapping[str, np.ndarray], ref: Mapping[str, np.ndarray]
) -> Combination:
    """Fit on aligned CV predictions: each a mapping ``EDV``, ``ESV`` (ml) -> (N,) arrays; ``ref`` also ``EF``."""
    n = len(ref["EDV"])
    if n < 10:
        raise ValueError(f"{n} subjects: the combination needs at least 10 cross-validation predictions")
    weights = {q: seg_weight(sfera[q], seg[q], ref[q]) for q in VOLUMES}
    comb = {q: weights[q] * seg[q] + (1.0 - weights[q]) * sfera[q] for q in VOLUMES}
    diff = {
        "EF": ejection_fraction_pct(seg["EDV"], seg["ESV"]) - ejection_fraction_pct(sfera["EDV"], sfera["ESV"]),
        "EDV": seg["EDV"] - sfera["EDV"],
    }
    loa = {
        q: (float(diff[q].mean() - Z95 * diff[q].std(ddof=1)), float(diff[q].mean() + Z95 * diff[q].std(ddof=1)))
        for q in AGREEMENT_QUANTITIES
    }
    return Combination(
        seg_weight=weights,
        combined=_calibration(comb["EDV"], comb["ESV"], ref),
        sfera=_calibration(sfera["EDV"], sfera["ESV"], ref),
        seg=_calibration(seg["EDV"], seg["ESV"], ref),
        limits_of_agreement=loa,
        n=n,
    )
