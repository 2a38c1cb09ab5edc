"""Several training settings predicting the same test subjects, in the layout of the paper's Table 1:
RMSE +- SD [bootstrap 95 % CI], MAE and Pearson r of EDV (ml), ESV (ml) and EF (%) per experiment, the
EF < 40 % subgroup, the Kruskal-Wallis test of a challenger's absolute errors against a baseline's, and
the paper's figures beside ours (Gheorghita et al., Sci Rep 12:2391, 2022, Table 1, dataset 1)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from cardio_monai.evaluation.metrics import EF_LOW_PCT, QUANTITIES, UNITS, cardiac_agreement
from cardio_monai.evaluation.report import VolumeTable, read_volume_tables
from cardio_monai.evaluation.stats import compare_absolute_errors
from cardio_monai.utils import atomic_path

# Table 1 (journal), dataset 1, RMSE; RSO / RSP MAE from the text (EDV, ESV ml; EF %).
PAPER_RMSE = {
    "SSO": {"EDV": 56.6, "ESV": 36.1, "EF": 8.0},
    "RSO": {"EDV": 23.7, "ESV": 12.6, "EF": 7.1},
    "RSP": {"EDV": 11.2, "ESV": 7.1, "EF": 3.7},
}
PAPER_MAE = {"RSO": {"EDV": 16.8, "ESV": 9.0, "EF": 4.9}, "RSP": {"EDV": 7.3, "ESV": 5.2, "EF": 2.7}}

PathLike = str | os.PathLike


def _values(table: VolumeTable, subjects: list[str]) -> dict[str, np.ndarray]:
    """The table's values per quantity for ``subjects``, in that order."""
    index = table.index()
    rows = np.asarray([index[s] for s in subjects], dtype=np.intp)
    return {q: table.values[q][rows] for q in QUANTITIES}


def compare_experiments(
    experiments: Mapping[str, tuple[PathLike, PathLike]],
    baseline: str = "RSO",
    challenger: str = "RSP",
    n_bootstrap: int = 2000,
    seed: int = 0,
) -> dict:
    """Metrics of every experiment ``name -> (predictions CSV, reference CSV)`` on the subjects all of them
    predict, overall and for EF < 40 %, and the Kruskal-Wallis test of ``challenger`` against ``baseline``."""
    tables = {name: (read_volume_tables(p), read_volume_tables(r)) for name, (p, r) in experiments.items()}
    common = sorted(set.intersection(*(set(p.subjects) & set(r.subjects) for p, r in tables.values())))
    out: dict = {"n_subjects": len(common), "units": UNITS, "ef_below_threshold_pct": EF_LOW_PCT, "experiments": {}}
    picked = {}
    for name, (pred_table, ref_table) in tables.items():
        pred, ref = (_values(t, common) for t in (pred_table, ref_table))
        low = ref["EF"] < EF_LOW_PCT
        picked[name] = (pred, ref, low)
        sub_pred, sub_ref = ({q: v[low] for q, v in d.items()} for d in (pred, ref))
        out["experiments"][name] = {
            "all": {"n": len(common), **cardiac_agreement(pred, ref, n_bootstrap, seed)},
            "ef_below_40": {"n": int(low.sum()), **cardiac_agreement(sub_pred, sub_ref, n_bootstrap, seed)},
        }
    if baseline in picked and challenger in picked:
        (pc, ref, low), (pb, _, _) = picked[challenger], picked[baseline]
        out["kruskal_wallis"] = {
            "challenger": challenger,
            "baseline": baseline,
            "all": {q: compare_absolute_errors(pc[q], pb[q], ref[q]) for q in QUANTITIES},
            "ef_below_40": {q: compare_absolute_errors(pc[q][low], pb[q][low], ref[q][low]) for q in QUANTITIES},
        }
    return out


def _cell(block: dict, q: str) -> str:
    m = block[q]
    if any(m[k]["value"] is None for k in ("rmse", "rmse_sd", "mae")) or m["rmse"]["ci95"] is None:
        return "-"
    lo, hi = m["rmse"]["ci95"]
    return f"{m['rmse']['value']:.1f} +- {m['rmse_sd']['value']:.1f} [{lo:.1f}, {hi:.1f}] / {m['mae']['value']:.1f}"


def experiments_markdown(result: dict) -> str:
    """The comparison as Markdown tables: ours (RMSE +- SD [CI] / MAE, r), EF < 40 %, the paper, the test."""
    qs = list(QUANTITIES)
    head = "| experiment | " + " | ".join(f"{q} ({UNITS[q]})" for q in qs) + " |"
    rule = "|---|" + "---|" * len(qs)
    lines = [f"On the same {result['n_subjects']} test subjects: RMSE +- SD [bootstrap 95 % CI] / MAE.", "", head, rule]
    for name, ex in result["experiments"].items():
        lines.append(f"| {name} | " + " | ".join(_cell(ex["all"], q) for q in qs) + " |")
    lines += ["", "Pearson r:", "", "| experiment | " + " | ".join(qs) + " |", rule]
    for name, ex in result["experiments"].items():
        r = [ex["all"][q]["pearson_r"]["value"] for q in qs]
        lines.append(f"| {name} | " + " | ".join("-" if v is None else f"{v:.3f}" for v in r) + " |")
    lines += ["", f"EF < {EF_LOW_PCT:.0f} % subgroup:", "", head.replace("experiment", "experiment (n)"), rule]
    for name, ex in result["experiments"].items():
        low = ex["ef_below_40"]
        lines.append(f"| {name} ({low['n']}) | " + " | ".join(_cell(low, q) for q in qs) + " |")
    lines += ["", "The paper (Table 1, dataset 1), RMSE / MAE:", "", head, rule]
    for name, rmse in PAPER_RMSE.items():
        mae = PAPER_MAE.get(name, {})
        lines.append(f"| {name} | " + " | ".join(f"{rmse[q]} / {mae.get(q, '-')}" for q in qs) + " |")
    kw = result.get("kruskal_wallis")
    if kw:
        lines += ["", f"Kruskal-Wallis, absolute errors of {kw['challenger']} against {kw['baseline']} (p):", ""]
        lines += ["| subjects | " + " | ".join(qs) + " |", rule]
        for part in ("all", "ef_below_40"):
            lines.append(f"| {part} | " + " | ".join(f"{kw[part][q]['p_value']:.3g}" for q in qs) + " |")
    return "\n".join(lines) + "\n"


def write_experiments(experiments: Mapping[str, tuple[PathLike, PathLike]], out_dir: PathLike, **kw) -> dict:
    """Write ``out_dir/experiments.json`` and ``out_dir/experiments.md`` (atomic); returns the result."""
    result = compare_experiments(experiments, **kw)
    out_dir = Path(out_dir)
    with atomic_path(out_dir / "experiments.json") as tmp:
        tmp.write_text(json.dumps(result, indent=2, allow_nan=False) + "\n")
    with atomic_path(out_dir / "experiments.md") as tmp:
        tmp.write_text(experiments_markdown(result))
    return result
