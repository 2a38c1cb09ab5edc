"""Does the segmentation reader know when it is wrong? Its own uncertainty, measured on the held-out subjects
of a cross-validation, as a flag for "EF error > 5 points" (issue #15: the agreement flag must separate them;
the readers' disagreement does not, docs/segmentation_reader.md).

For each fold K of CV_DIR (scripts/segmentation_cv.sh: CV_DIR/foldK/models/model.pt and configs/), every
test subject of fold K is read from its images alone by that fold's model, in the orientation the reader
chooses, and scored by (fixed before the fold models existed):
- ``soft_hard_ef`` (the primary score): |EF of the soft volumes - EF of the hard ones| (points), the soft
  volumes being those expected under the network's own probabilities (``SegmentationResult.soft_edv_ml``);
- ``soft_hard_esv``: |soft ESV - hard ESV| / hard ESV;
- ``scale_ef_sd``: the SD of the EF over five readings of the image scaled by 0.85, 0.95, 1, 1.05, 1.15
  (inside the training augmentation's +-15 %);
- ``small_heart``: minus the segmented EDV (the one weak signal of the earlier analysis, for comparison).
The reference (the labels' volumes) is read only afterwards. Per score: the ROC AUC for the EF error > 5
points with a bootstrap 95 % CI (2,000 resamples of subjects), and a leave-one-fold-out flag (a subject is
flagged when its score is above the 80th percentile of the other four folds' scores): the share of EF errors
> 5 points among flagged and unflagged subjects.

    python scripts/segmentation_self_check.py CV_DIR OUT_DIR [DATASET_DIR] [FOLDS]

FOLDS (default "0 1 2 3 4"): e.g. "0" for an inner split (scripts/segmentation_inner.sh: CV_DIR = its
variant's folder, DATASET_DIR = its outer_train/); the leave-one-fold-out flag needs several folds. Also
written: the RMSE of the hard and the soft volumes against the reference.

Writes OUT_DIR/foldK.csv (resumable: a fold with its file is not read again), OUT_DIR/self_check.csv,
OUT_DIR/summary.json and OUT_DIR/summary.md.
"""

import csv
import json
import sys
from pathlib import Path

import numpy as np
import torch

from cardio_monai.data import split_datalist, study_datalist
from cardio_monai.evaluation.metrics import agreement_stats
from cardio_monai.evaluation.two_sample import weighted_auc
from cardio_monai.io import read_once
from cardio_monai.keys import IMAGE, STUDY, SUBJECT
from cardio_monai.measure import record_volumes
from cardio_monai.segmentation import load_segmenter, segment_study
from cardio_monai.segmentation.reader import segment_item
from cardio_monai.utils import progress, write_csv
from cardio_monai.volumes import ejection_fraction_pct

FOLDS = 5
SCALES = (0.85, 0.95, 1.05, 1.15)
SCORES = ("soft_hard_ef", "soft_hard_esv", "scale_ef_sd", "small_heart")
ERROR_PTS = 5.0
FLAG_QUANTILE = 80.0
COLUMNS = ("subject", "fold", "group", "EDV_ml", "ESV_ml", "EF_pct", "soft_EDV_ml", "soft_ESV_ml", "scale_ef_sd")
COLUMNS += ("ref_EDV_ml", "ref_ESV_ml", "ref_EF_pct")


def read_fold(cv_dir: Path, fold: int, dataset: str) -> list[dict]:
    """One row per test subject of ``fold``: the reader's hard and soft volumes and its EF spread over the
    intensity scales, then the reference volumes."""
    network, preprocessing, _ = load_segmenter(cv_dir / f"fold{fold}")
    rows = []
    for item in progress(split_datalist(study_datalist(dataset), fold, FOLDS, 0)[1], desc=f"fold {fold}"):
        result, pre = segment_study(network, preprocessing, item[STUDY])
        image = torch.as_tensor(np.asarray(pre[IMAGE], dtype=np.float32))
        efs = [result.ef_pct]
        for scale in SCALES:
            efs.append(segment_item(network, {**pre, IMAGE: image * scale}, orientation=result.orientation).ef_pct)
        ref = record_volumes(read_once(item[STUDY], with_labels=True)[0])  # only now: the reference
        rows.append(
            dict(
                zip(COLUMNS, (item[SUBJECT], fold, item.get("group", ""), result.edv_ml, result.esv_ml, result.ef_pct))
            )
            | {"soft_EDV_ml": result.soft_edv_ml, "soft_ESV_ml": result.soft_esv_ml}
            | {"scale_ef_sd": float(np.std(efs, ddof=1)), "ref_EDV_ml": ref["EDV_ml"], "ref_ESV_ml": ref["ESV_ml"]}
            | {"ref_EF_pct": ref["EF_pct"]}
        )
    return rows


def scores(rows: list[dict]) -> dict[str, np.ndarray]:
    """The four scores of every row (high: less trusted)."""
    col = {c: np.array([float(r[c]) for r in rows]) for c in COLUMNS[3:]}
    soft_ef = ejection_fraction_pct(col["soft_EDV_ml"], col["soft_ESV_ml"])
    return {
        "soft_hard_ef": np.abs(soft_ef - col["EF_pct"]),
        "soft_hard_esv": np.abs(col["soft_ESV_ml"] - col["ESV_ml"]) / col["ESV_ml"],
        "scale_ef_sd": col["scale_ef_sd"],
        "small_heart": -col["EDV_ml"],
    }


def volume_rmse(rows: list[dict]) -> dict[str, dict[str, float]]:
    """RMSE against the reference of the hard and the soft EDV, ESV (ml) and EF (points)."""
    col = {c: np.array([float(r[c]) for r in rows]) for c in COLUMNS[3:]}
    soft = {"EDV": col["soft_EDV_ml"], "ESV": col["soft_ESV_ml"]}
    soft["EF"] = ejection_fraction_pct(soft["EDV"], soft["ESV"])
    hard = {"EDV": col["EDV_ml"], "ESV": col["ESV_ml"], "EF": col["EF_pct"]}
    ref = {"EDV": col["ref_EDV_ml"], "ESV": col["ref_ESV_ml"], "EF": col["ref_EF_pct"]}
    return {
        kind: {q: round(float(agreement_stats(v[q], ref[q])["rmse"]), 2) for q in ref}
        for kind, v in (("hard", hard), ("soft", soft))
    }


def summarise(rows: list[dict]) -> dict:
    """The hard and soft volumes' RMSE; per score, its AUC with a bootstrap CI and (over several folds) the
    leave-one-fold-out flag's shares."""
    large = np.abs(np.array([float(r["EF_pct"]) - float(r["ref_EF_pct"]) for r in rows])) > ERROR_PTS
    folds = np.array([int(r["fold"]) for r in rows])
    n = len(rows)
    weights = np.stack([np.bincount(i, minlength=n) for i in np.random.default_rng(0).integers(0, n, (2000, n))])
    out = {"n": n, "ef_error_above_5": int(large.sum()), "rmse": volume_rmse(rows)}
    for name, score in scores(rows).items():
        boot = weighted_auc(score, large, weights)
        out[name] = {
            "auc": float(weighted_auc(score, large)),
            "auc_ci95": [float(v) for v in np.nanpercentile(boot, [2.5, 97.5])],
        }
        if len(np.unique(folds)) > 1:
            flagged = np.zeros(n, dtype=bool)
            for k in np.unique(folds):
                flagged[folds == k] = score[folds == k] > np.percentile(score[folds != k], FLAG_QUANTILE)
            out[name] |= {
                "flagged": int(flagged.sum()),
                "large_among_flagged": int((large & flagged).sum()),
                "large_among_others": int((large & ~flagged).sum()),
            }
    return out


def table(summary: dict) -> str:
    lines = [
        f"{summary['n']} held-out subjects, {summary['ef_error_above_5']} with an EF error > {ERROR_PTS:g} points",
        "",
        "| RMSE | EDV (ml) | ESV (ml) | EF (points) |",
        "|---|---|---|---|",
        *(f"| {k} | {v['EDV']:.2f} | {v['ESV']:.2f} | {v['EF']:.2f} |" for k, v in summary["rmse"].items()),
        "",
        "| score | ROC AUC [95 % CI] | flagged | EF error > 5 among flagged | among the others |",
        "|---|---|---|---|---|",
    ]
    for name in SCORES:
        s = summary[name]
        if "flagged" not in s:
            lines.append(f"| {name} | {s['auc']:.2f} [{s['auc_ci95'][0]:.2f}, {s['auc_ci95'][1]:.2f}] | | | |")
            continue
        others = summary["n"] - s["flagged"]
        lines.append(
            f"| {name} | {s['auc']:.2f} [{s['auc_ci95'][0]:.2f}, {s['auc_ci95'][1]:.2f}] | {s['flagged']} | "
            f"{s['large_among_flagged']} ({100 * s['large_among_flagged'] / max(s['flagged'], 1):.0f} %) | "
            f"{s['large_among_others']} ({100 * s['large_among_others'] / max(others, 1):.0f} %) |"
        )
    return "\n".join(lines) + "\n"


def main(cv_dir: str, out_dir: str, dataset: str = "../shared/data/acdc/training", folds: str = "0 1 2 3 4") -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for fold in (int(f) for f in str(folds).split()):
        path = out / f"fold{fold}.csv"
        if not path.exists():
            write_csv(path, read_fold(Path(cv_dir), fold, dataset), COLUMNS, float_format="{:.4f}")
        with open(path, newline="") as fh:
            rows += list(csv.DictReader(fh))
    write_csv(out / "self_check.csv", rows, COLUMNS, float_format="{:.4f}")
    summary = summarise(rows)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "summary.md").write_text(table(summary))
    print(table(summary))


if __name__ == "__main__":
    main(*sys.argv[1:])
