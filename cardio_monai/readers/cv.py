"""Fitting the readers' combination on cross-validation predictions and measuring it honestly.

``fit_readers_cv`` reads, fold by fold, the held-out predictions of SFERA and of the segmenter with the
reference volumes, fits :class:`~cardio_monai.readers.combine.Combination` on all of them (the shipped
one) and measures it leave-one-fold-out: the combination applied to a fold is fitted on the other folds
only. Reported: EDV/ESV/EF agreement of each reader and of the combination, the share of CV errors
inside 1.96 SD, and whether ``readers_agree`` separates large EF errors (> 5 points) from the rest.

Run: ``python -m cardio_monai.readers.cv --sfera "A0,A1,..." --seg "B0,B1,..." --reference "R0,..." --out DIR``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cardio_monai.evaluation.metrics import cardiac_agreement
from cardio_monai.evaluation.report import read_volume_table
from cardio_monai.readers.combine import VOLUMES, Z95, Calibration, fit_combination
from cardio_monai.utils import atomic_path
from cardio_monai.volumes import ejection_fraction_pct

LARGE_EF_ERROR_PCT = 5.0


def _split(paths: str | Sequence[str]) -> list[str]:
    return [p for p in paths.split(",") if p.strip()] if isinstance(paths, str) else [str(p) for p in paths]


def _fold_values(sfera: str, seg: str, reference: str) -> dict[str, dict[str, np.ndarray]]:
    """{'sfera'|'seg'|'ref': {EDV, ESV, EF: (N,)}} over the subjects that all three files hold."""
    tables = {k: read_volume_table(p) for k, p in (("sfera", sfera), ("seg", seg), ("ref", reference))}
    common = [s for s in tables["ref"].subjects if all(s in t.index() for t in tables.values())]
    out = {}
    for k, t in tables.items():
        idx = t.index()
        out[k] = {q: t.values[q][[idx[s] for s in common]] for q in ("EDV", "ESV", "EF")}
    out["subjects"] = common
    return out


def _coverage(cal: Calibration, edv: np.ndarray, esv: np.ndarray, ref: dict[str, np.ndarray]) -> dict[str, float]:
    ef = ejection_fraction_pct(edv, esv)
    sd_edv, sd_esv = cal.edv_rel_sd * edv, cal.esv_rel_sd * esv
    return {
        "EDV": float(np.mean(np.abs(edv - ref["EDV"]) <= Z95 * sd_edv)),
        "ESV": float(np.mean(np.abs(esv - ref["ESV"]) <= Z95 * sd_esv)),
        "EF": float(np.mean(np.abs(ef - ref["EF"]) <= Z95 * cal.ef_sd_pct)),
    }


def _rmse(block: dict) -> dict[str, float]:
    return {q: round(float(block[q]["rmse"]["value"]), 2) for q in ("EDV", "ESV", "EF")}


def fit_readers_cv(
    sfera: str | Sequence[str], seg: str | Sequence[str], reference: str | Sequence[str], out: str
) -> dict:
    """Fit and measure the combination; writes ``OUT/combination.json`` (fitted on all folds) and
    ``OUT/readers_cv.json`` (the leave-one-fold-out measurement); returns the latter."""
    folds = [_fold_values(a, b, c) for a, b, c in zip(_split(sfera), _split(seg), _split(reference), strict=True)]
    pool = {
        k: {q: np.concatenate([f[k][q] for f in folds]) for q in ("EDV", "ESV", "EF")} for k in ("sfera", "seg", "ref")
    }
    shipped = fit_combination(pool["sfera"], pool["seg"], pool["ref"])
    comb = {q: [] for q in ("EDV", "ESV")}
    covered = {q: [] for q in ("EDV", "ESV", "EF")}
    flagged, large = [], []
    for k, fold in enumerate(folds):
        rest = [f for j, f in enumerate(folds) if j != k]
        train = {
            r: {q: np.concatenate([f[r][q] for f in rest]) for q in ("EDV", "ESV", "EF")}
            for r in ("sfera", "seg", "ref")
        }
        c = fit_combination(train["sfera"], train["seg"], train["ref"])
        values = [
            c.combine((a, b), (x, y))
            for a, b, x, y in zip(fold["sfera"]["EDV"], fold["sfera"]["ESV"], fold["seg"]["EDV"], fold["seg"]["ESV"])
        ]
        edv, esv = np.array([v[0] for v in values]), np.array([v[1] for v in values])
        comb["EDV"].append(edv)
        comb["ESV"].append(esv)
        for q, v in _coverage(c.combined, edv, esv, fold["ref"]).items():
            covered[q].append(v * len(edv))
        flagged += [
            not c.agree((a, b), (x, y))
            for a, b, x, y in zip(fold["sfera"]["EDV"], fold["sfera"]["ESV"], fold["seg"]["EDV"], fold["seg"]["ESV"])
        ]
        large += list(np.abs(ejection_fraction_pct(edv, esv) - fold["ref"]["EF"]) > LARGE_EF_ERROR_PCT)
    combined = {q: np.concatenate(comb[q]) for q in VOLUMES}
    n = len(pool["ref"]["EDV"])
    metrics = {
        "sfera": cardiac_agreement(pool["sfera"], pool["ref"]),
        "seg": cardiac_agreement(pool["seg"], pool["ref"]),
        "combined": cardiac_agreement(combined, pool["ref"]),
    }
    flagged_a, large_a = np.array(flagged, bool), np.array(large, bool)
    report = {
        "n": n,
        "folds": len(folds),
        "rmse": {k: _rmse(v) for k, v in metrics.items()},
        "metrics": metrics,
        "seg_weight_shipped": shipped.seg_weight,
        "coverage_1.96sd": {
            "combined_leave_one_fold_out": {q: round(float(np.sum(v)) / n, 3) for q, v in covered.items()},
            "sfera_in_sample": _coverage(shipped.sfera, pool["sfera"]["EDV"], pool["sfera"]["ESV"], pool["ref"]),
            "seg_in_sample": _coverage(shipped.seg, pool["seg"]["EDV"], pool["seg"]["ESV"], pool["ref"]),
        },
        "agreement_flag": {
            "flagged": int(flagged_a.sum()),
            "share_large_ef_error_flagged": float(large_a[flagged_a].mean()) if flagged_a.any() else None,
            "share_large_ef_error_agreeing": float(large_a[~flagged_a].mean()) if (~flagged_a).any() else None,
            "large_ef_error_pct": LARGE_EF_ERROR_PCT,
        },
        "limits_of_agreement_shipped": shipped.limits_of_agreement,
    }
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    shipped.save(out_dir / "combination.json")
    with atomic_path(out_dir / "readers_cv.json") as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    import fire

    fire.Fire(fit_readers_cv)
